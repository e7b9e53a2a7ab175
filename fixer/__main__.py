from fixer.cli import app

app(prog_name="fixer")
