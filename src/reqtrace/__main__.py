from reqtrace.cli import main

main()
