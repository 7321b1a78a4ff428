from smgitops.cli import main

main()
