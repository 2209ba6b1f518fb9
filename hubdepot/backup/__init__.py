"""`hubdepot backup`: online, incremental, verified snapshots of a hubdepot (docs/backup.md).

store.py is the destination's layout (objects stored once, snapshots named by manifests); create.py
takes a snapshot, restore.py puts one back, report.py lists and verifies them.
"""
