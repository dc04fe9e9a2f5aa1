from klepaas.cli import main

main()
