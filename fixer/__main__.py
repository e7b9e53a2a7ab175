from fixer.cli import entry

entry()
