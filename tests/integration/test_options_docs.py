"""The options list has one source, `airbytefs --help`: every airbytefs option it prints, with its
default, appears the same in the README's table, the user guide's table and the man page, so the
three cannot drift (issue 11)."""
import pathlib
import re
import subprocess

from conftest import REPO, airbytefs_binary


def help_options():
    """name -> default (a number as text, or None) for each `-o name` of airbytefs's own help."""
    out = subprocess.run([airbytefs_binary(), "--help"], capture_output=True, text=True).stdout
    ours = out.split("airbytefs options:")[1].split("Credentials:")[0]
    options, last = {}, None
    for line in ours.splitlines():
        m = re.match(r"\s+-o ([a-z_]+)", line)
        if m:
            last = m.group(1)
            options[last] = None
            for extra in re.findall(r",\s*([a-z_]+)=", line):  # "client_secret_file=FILE, bearer_token_file=FILE"
                options[extra] = None
        d = re.search(r"\(default (\d+)", line)
        if d and last:
            options[last] = d.group(1)
    return options


def table_defaults(path, prefix):
    """name -> the text of the Default column, from a markdown table of options."""
    rows = {}
    for line in pathlib.Path(path).read_text().splitlines():
        m = re.match(r"\|\s*`" + re.escape(prefix) + r"([a-z_]+)[^|]*\|\s*([^|]*)\|", line)
        if m:
            rows[m.group(1)] = m.group(2).strip().strip("`")
        for extra in re.findall(r",\s*`" + re.escape(prefix) + r"([a-z_]+)", line.split("|")[1] if "|" in line else ""):
            rows.setdefault(extra, rows.get(m.group(1)) if m else "")
    return rows


def test_options_agree_everywhere():
    options = help_options()
    assert {"timeout", "list_parallel", "max_threads", "cache_ttl"} <= set(options)
    readme = table_defaults(REPO / "README.md", "-o ")
    guide = table_defaults(REPO / "docs" / "user-guide.md", "")
    man = (REPO / "docs" / "airbytefs.1").read_text()
    for name, default in options.items():
        assert name in readme, f"README's options table lacks {name}"
        assert name in guide, f"the user guide's options table lacks {name}"
        assert f"\\-o {name}" in man, f"the man page lacks -o {name}"
        if default is not None:
            assert readme[name] == default, f"README says {name} defaults to {readme[name]}, --help says {default}"
            assert guide[name] == default, f"the user guide says {name} defaults to {guide[name]}, --help says {default}"
            paragraph = man.split(f"\\-o {name}", 1)[1].split(".TP", 1)[0]
            assert f"default {default}" in paragraph, f"the man page's {name} does not say default {default}"
