"""Issue 8: a workflows repository is pull-request input. Files it links out of, names that
become keys or template text, and profile strings never change what a chart reads or renders."""

from __future__ import annotations

import os
from pathlib import Path

from chartgen.formats.confine import MAX_FILE_BYTES
from testing.repo import run_cli
from testing.trees import GREETING, PROFILES_BASIC, build_tree


def repo(root: Path, extra: dict[str, str | bytes] | None = None) -> Path:
    files: dict[str, str | bytes] = {
        "chartgen.yaml": "name: acme\n",
        "workflows/greet/greeting.sw.yaml": GREETING,
        "workflows/greet/application.properties": "quarkus.log.level=INFO\n",
        **PROFILES_BASIC,
    }
    return build_tree(root, {**files, **(extra or {})})


def all_output(root: Path) -> bytes:
    out = root / "charts"
    return b"".join(p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()) if out.exists() else b""


# Class 1: files outside the repository are never read.


def test_links_leaving_the_workflows_folder_are_refused_and_nothing_is_written(tmp_path: Path) -> None:
    outside = tmp_path.parent / f"{tmp_path.name}-outside.txt"
    outside.write_text("SENTINEL-OUTSIDE\n")
    repo(tmp_path / "r")
    os.chdir(tmp_path / "r")
    Path("workflows/greet/host.txt").symlink_to("/etc/hostname")
    Path("workflows/greet/beside.txt").symlink_to(outside)
    Path("workflows/greet/repo.txt").symlink_to("../../chartgen.yaml")  # in the repository, not in workflows/
    Path("profiles/qa.yaml").symlink_to(outside)
    result = run_cli("generate")
    assert result.code == 1
    for name in ("workflows/greet/host.txt", "workflows/greet/beside.txt", "workflows/greet/repo.txt"):
        assert (
            f"{name}:1:1: error: project file not read: it is a link to a file outside workflows/; "
            "links must stay inside it" in result.err
        )
    assert (
        "profiles/qa.yaml:1:1: error: profile not read: it is a link to a file outside profiles/"
        in result.err
    )
    assert not Path("charts").exists()


def test_a_linked_workflow_file_outside_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.sw.yaml"
    outside.write_text(GREETING.replace("greeting", "stolen"))
    repo(tmp_path / "r")
    os.chdir(tmp_path / "r")
    Path("workflows/greet/stolen.sw.yaml").symlink_to(outside)
    result = run_cli("validate")
    assert result.code == 1
    assert "workflows/greet/stolen.sw.yaml:1:1: error: workflow file not read: it is a link" in result.err


def test_a_link_inside_the_workflows_folder_is_read_as_its_target(tmp_path: Path) -> None:
    repo(tmp_path, {"workflows/shared/banner.txt": "hello\n"})
    Path("workflows/greet/banner.txt").symlink_to("../shared/banner.txt")
    result = run_cli("generate")
    assert result.code == 0, result.err
    assert (tmp_path / "charts/greet/files/resources/banner.txt").read_text() == "hello\n"


def test_a_fifo_is_not_read(tmp_path: Path) -> None:
    repo(tmp_path)
    os.mkfifo("workflows/greet/pipe.txt")  # reading it would block CI forever
    result = run_cli("validate")
    assert result.code == 1
    assert (
        "workflows/greet/pipe.txt:1:1: error: project file not read: it is not a regular file" in result.err
    )


def test_folders_named_in_chartgen_yaml_stay_in_the_repository(tmp_path: Path) -> None:
    repo(tmp_path / "r", {"chartgen.yaml": "name: acme\nworkflows: workflows\nprofiles: ../../etc\n"})
    os.chdir(tmp_path / "r")
    result = run_cli("validate")
    assert result.code == 1
    assert "chartgen.yaml:3:11: error: 'profiles' leads outside the repository (r/)" in result.err


def test_a_workflows_folder_that_is_a_link_out_is_refused(tmp_path: Path) -> None:
    repo(tmp_path / "elsewhere")
    build_tree(tmp_path / "r", {"chartgen.yaml": "name: acme\n", **PROFILES_BASIC})
    os.chdir(tmp_path / "r")
    Path("workflows").symlink_to(tmp_path / "elsewhere/workflows")
    result = run_cli("validate")
    assert result.code == 1
    assert "'workflows' leads outside the repository" in result.err


# Class 2: workflow text never reaches an evaluator or a line-based format unchecked.

INJECTED_SECRETS = """
    secrets:
      - billing_token
      - 'x }}{{ with secret "kv/data/other-team" }}{{ .Data.data.password }}{{ end }}'
      - "db\\nquarkus.datasource.jdbc.url=jdbc:postgresql://evil/db"
      - "."
"""


def test_workflow_secret_names_are_secret_keys_or_located_errors(tmp_path: Path) -> None:
    repo(tmp_path, {"workflows/greet/greeting.sw.yaml": GREETING + INJECTED_SECRETS})
    result = run_cli("generate")
    assert result.code == 1
    lines = [line for line in result.err.splitlines() if "secrets." in line]
    assert [line.split(": error: ")[0] for line in lines] == [
        "workflows/greet/greeting.sw.yaml:22:5",
        "workflows/greet/greeting.sw.yaml:23:5",
        "workflows/greet/greeting.sw.yaml:24:5",
    ]
    assert (
        "'secrets.1' must be a Secret key ([-._a-zA-Z0-9], not '.' or '..'); got 'x }}{{ with secret"
        in lines[0]
    )
    assert "'secrets.3' must be a Secret key" in lines[2]
    assert not Path("charts").exists()


def test_a_profile_property_value_is_one_line_without_control_characters(tmp_path: Path) -> None:
    repo(tmp_path)
    with open("profiles/prod.yaml", "a") as profile:
        profile.write('properties: {a.b: "x\\rquarkus.datasource.jdbc.url=jdbc:evil", c.d: "tab\\tok"}\n')
        profile.write('env: {GREETING: "bell\\u0007"}\n')
    result = run_cli("generate")
    assert result.code == 1
    assert (
        "profiles/prod.yaml:7:19: error: 'properties.a.b' must be one line without control characters\n"
    ) in result.err
    assert "jdbc:evil" not in result.err  # a value that fails its check is not repeated (it may be secret)
    assert "c.d" not in result.err
    assert "'env.GREETING' must be one line without control characters" in result.err


# Class 3: profile strings that end up in objects are constrained by the one shared alias.


def test_profile_strings_that_reach_objects_are_constrained(tmp_path: Path) -> None:
    repo(tmp_path)
    with open("profiles/prod.yaml", "a") as profile:
        profile.write(
            "secrets:\n"
            '  vault: {kvMount: "kv\\n  namespace: other-team", authMount: "k8s/../sys", path: "a//b",\n'
            '          role: "r x", address: "https://v\\" x"}\n'
            'eventing: {broker: "a: b", deadLetterSink: "http://x y"}\n'
            'persistence: {postgresql: {host: "pg host", database: "wf?sslmode=disable", schema: "S"}}\n'
        )
    result = run_cli("generate")
    assert result.code == 1
    for key in (
        "secrets.vault.kvMount",
        "secrets.vault.authMount",
        "secrets.vault.path",
        "secrets.vault.role",
        "secrets.vault.address",
        "eventing.broker",
        "eventing.deadLetterSink",
        "persistence.postgresql.host",
        "persistence.postgresql.database",
        "persistence.postgresql.schema",
    ):
        assert f"error: '{key}' must be" in result.err, key
    assert not Path("charts").exists()


# Class 4: data the templates read keeps every string a string (helm reads YAML 1.1).

YAML11_TRAPS = ["y", "n", "Y", "NO", "On", "off", "1e3", "1E3", "0x1F", "0o17", "0b101", "1_000", "1:20",
                ".inf", "-.INF", ".nan", "~", "null", "Null", "2020-01-01", "2001-12-14t21:59:43.10-05:00",
                "=", "<<", "-1", "+1", "0", "1.", "-.5", "'q'", '"q"', "a: b", "#c", "- x", "? k", "|", ">",
                "&a", "*a", "!tag", "%x", "@x", "`x", "", " lead", "trail ", "x\ny", "\t", "\u2028", "\x85", "\x7f", "\ufeff", "é"]  # fmt: skip


def test_the_emitter_keeps_yaml11_lookalikes_strings() -> None:
    import yaml

    from chartgen.formats.source import FastLoader
    from chartgen.formats.yaml_out import dump_yaml

    data = {"values": {s: [s, {"k": s}] for s in YAML11_TRAPS}}
    text = dump_yaml(data).decode()
    assert yaml.safe_load(text) == data  # PyYAML resolves YAML 1.1 booleans, ints, floats, timestamps
    assert yaml.load(text, Loader=FastLoader) == data


def test_a_chartgen_yaml_that_is_a_fifo_or_links_out_is_not_read(tmp_path: Path) -> None:
    repo(tmp_path / "r")
    os.chdir(tmp_path / "r")
    os.remove("chartgen.yaml")
    os.mkfifo("chartgen.yaml")  # reading it would block CI forever
    result = run_cli("validate")
    assert result.code == 1
    assert "chartgen.yaml:1:1: error: chartgen.yaml not read: it is not a regular file" in result.err
    os.remove("chartgen.yaml")
    (tmp_path / "elsewhere.yaml").write_text("name: x\n")
    Path("chartgen.yaml").symlink_to(tmp_path / "elsewhere.yaml")
    result = run_cli("validate")
    assert result.code == 1
    assert "chartgen.yaml not read: it is a link to a file outside r/" in result.err


def test_links_to_folders_are_not_followed(tmp_path: Path) -> None:
    build_tree(tmp_path / "outside", {"stolen/stolen.sw.yaml": GREETING.replace("greeting", "stolen"),
                                      "stolen/notes.txt": "SENTINEL-OUTSIDE\n"})  # fmt: skip
    repo(tmp_path / "r")
    os.chdir(tmp_path / "r")
    Path("workflows/stolen").symlink_to(tmp_path / "outside/stolen")
    Path("workflows/greet/more").symlink_to(tmp_path / "outside/stolen")
    result = run_cli("generate")
    assert result.code == 0, result.err
    assert sorted(p.name for p in Path("charts").iterdir() if p.is_dir()) == ["acme-dev", "greet"]
    assert b"SENTINEL-OUTSIDE" not in all_output(Path.cwd())


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    repo(tmp_path, {"workflows/greet/big.json": b"[" + b"0," * (MAX_FILE_BYTES // 2) + b"0]"})
    result = run_cli("validate")
    assert result.code == 1
    assert (
        "workflows/greet/big.json:1:1: error: project file not read: it is larger than 32 MiB, the most chartgen "
        "reads" in result.err
    )
