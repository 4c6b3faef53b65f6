"""Every JSON file of the mount equals `jq -S .` of itself, byte for byte (issue 11): empty arrays
and objects as [] and {}, two-space indent, sorted keys, jq's escapes and numbers."""
import glob
import os
import pathlib
import subprocess


def test_every_json_file_equals_jq(mount, emulator):
    files = [mount / "workspace.json"]
    for d in sorted(os.listdir(mount / "connections")):
        c = mount / "connections" / d
        files += [c / f for f in ("connection.json", "settings.json", "configurations.json", "state.json",
                                  "catalog.json")]
        jobs = [j for j in os.listdir(c / "jobs") if j.isdigit()][:2]
        files += [c / "jobs" / j / "job.json" for j in jobs]
    files += [pathlib.Path(p) for p in glob.glob(str(mount / "sources" / "*" / "configuration.json"))]
    files += sorted((mount / "settings").glob("*.json"))
    checked = 0
    for f in files:
        try:
            text = f.read_bytes()
        except OSError:
            continue  # state.json of a connection the Config API does not know
        jq = subprocess.run(["jq", "-S", "."], input=text, capture_output=True)
        assert jq.returncode == 0, f"{f}: {jq.stderr.decode()}"
        assert text == jq.stdout, f"{f} differs from jq -S ."
        checked += 1
    assert checked > 50
