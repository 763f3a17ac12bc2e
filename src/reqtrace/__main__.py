from reqtrace.cli import run

run()
