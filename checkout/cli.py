"""Command line: flask --app wsgi <command>."""


def register_commands(app):
    pass
