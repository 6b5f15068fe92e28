"""Pygments: lexers, formatters and styles looked up by name, and a guessed lexer."""
from pygments import highlight
from pygments.formatters import get_formatter_by_name
from pygments.lexers import get_lexer_by_name, get_lexer_for_filename, guess_lexer
from pygments.styles import get_style_by_name

code = 'def greet(name):\n    return f"hello {name}"  # comment\n'
print(highlight(code, get_lexer_by_name("python"), get_formatter_by_name("html", nowrap=True)))
print(highlight("SELECT a FROM t WHERE b = 1;", get_lexer_by_name("sql"),
                get_formatter_by_name("terminal256", style="monokai")).encode("unicode_escape").decode())
print(get_lexer_for_filename("build.rs").name, get_lexer_for_filename("x.yaml").name)
print(guess_lexer("#!/bin/bash\necho $HOME\n").name)
print(get_style_by_name("friendly").background_color)
print(highlight("{\"a\": [1, true]}", get_lexer_by_name("json"), get_formatter_by_name("latex")).splitlines()[1])
