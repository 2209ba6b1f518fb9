from hubdepot.cli import main

main()
