"""A snapshot's manifest is outside input (DEST may be shared storage): a tampered one that names a
path outside the data dir is refused before restore writes anything."""

from __future__ import annotations

import json

from tests.functional.test_backup import hubdepot


def test_a_manifest_naming_a_path_outside_the_data_dir_is_refused(tmp_path):
    source, dest, target = tmp_path / "source", tmp_path / "dest", tmp_path / "target"
    name = hubdepot("backup", "create", dest, env={"HUBDEPOT_DATA_DIR": str(source)}).stdout.strip()
    manifest_path = next((dest / "snapshots" / name).glob("*.json"))
    manifest = json.loads(manifest_path.read_text())
    assert manifest["files"], "a data dir has files worth backing up (the secret key)"
    manifest["files"][0]["path"] = "../escaped"
    manifest_path.write_text(json.dumps(manifest))
    done = hubdepot("backup", "restore", dest, env={"HUBDEPOT_DATA_DIR": str(target)}, check=False)
    assert done.returncode != 0 and "names no file may have" in done.stderr
    assert not (tmp_path / "escaped").exists() and not target.joinpath("repositories").exists()
