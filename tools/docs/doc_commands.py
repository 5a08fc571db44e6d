#!/usr/bin/python3
"""Runs the commands the documentation shows, so the docs cannot rot, and checks the images they link.

A command is a line starting with `$ ` inside a fenced code block whose info string is `console`;
a line ending with `\\` continues on the next; every other line of the block is the output shown to
the output shown to the reader. The commands of one Markdown file run in order, as one bash session
(`set -euo pipefail`: the first failing command stops it), in a scratch folder of their own where
`resources` is a link to the source tree's resources/ (the demo data and bundled models, as in a
source checkout; the Debian package's /usr/share/mambascope has the same layout) and the built
`mambascope-cli` and `mambascope` come first on PATH (--bin). Commands that are too slow for a test
belong in a block with another info string (`sh`), which the guide marks as not run here.

Output: what a command writes to its standard output must appear in the lines shown under it, in
order (lines shown that it did not write are taken for its standard error: progress, timings).
Whole numbers must be equal, others match within a relative 1e-3 (BLAS kernels differ between CPUs
in the last digits), and
times of day, git revisions, SHA-256 digests and absolute paths are not compared. A command shown
without output is not checked, nor the commands of a block right after the line
`<!-- docs: output not checked -->` (for output that depends on the machine, as `--version`).

Images: every `![alt](path)` of every file checked must exist (relative to the Markdown file), and
a file that shows commands must make every picture it links under docs/images/ with them (a file of
the same name in a scratch folder): that is how tools/docs/make_screenshots.sh regenerates them,
never by hand.

    tools/docs/doc_commands.py --bin build/release/app --bin build/release/ui            # docs/*.md, README.md
    tools/docs/doc_commands.py --bin … --workdir /tmp/d docs/user-guide.md                # keep the outputs
    tools/docs/doc_commands.py --list                                                    # show what would run
"""
import argparse
import glob
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([\w+-]*)")
IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


NOT_CHECKED = "<!-- docs: output not checked -->"
# Fields that differ from run to run or machine to machine, replaced before lines are compared.
VOLATILE = [(re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"), "<time>"),
            (re.compile(r"revision [0-9a-f]+(-dirty)?"), "revision <rev>"),
            (re.compile(r"\b[0-9a-f]{64}\b"), "<sha256>"),
            (re.compile(r"(?<=[\s\"'(])/[^\s\"')]+"), "<path>")]
NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


class Command:
    def __init__(self, path, line, text, check):
        self.path, self.line, self.text, self.check = path, line, text, check
        self.shown = []   # the output lines the document shows under the command

    def where(self):
        return f"{os.path.relpath(self.path, ROOT)}:{self.line}"


def parse(path):
    """(commands of `console` blocks in order, image links, problems found)."""
    commands, images, problems = [], [], []
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    fence, info, current, block_start, block_commands, check, last = None, "", None, 0, 0, True, None
    for no, line in enumerate(lines, 1):
        m = FENCE.match(line)
        if fence is None:
            if m:
                fence, info, block_start, block_commands, last = m.group(2), m.group(3), no, 0, None
                check = not (no >= 2 and lines[no - 2].strip() == NOT_CHECKED)
                continue
            images += IMAGE.findall(line)
            continue
        if m and m.group(2).startswith(fence) and not m.group(3):   # the closing fence
            if current is not None:
                problems.append(f"{path}:{current.line}: a command ends with '\\' but its block ends")
                current = None
            if info == "console" and block_commands == 0:
                problems.append(f"{path}:{block_start}: a console block without a '$ ' command line")
            fence = None
            continue
        if info != "console":
            continue
        if current is not None:   # a continuation line
            current.text += "\n" + line
            if not line.rstrip().endswith("\\"):
                current = None
            continue
        if line.startswith("$ "):
            cmd = Command(path, no, line[2:], check)
            commands.append(cmd)
            block_commands += 1
            last = cmd
            if line.rstrip().endswith("\\"):
                current = cmd
        elif last is not None:
            last.shown.append(line)
    if fence is not None:
        problems.append(f"{path}:{block_start}: a code block is never closed")
    return commands, images, problems


def session_script(commands, outdir):
    """One bash session: each command announced with where it is written, timed, its standard
    output kept in outdir/N (and shown) for the comparison with the document."""
    out = ["set -euo pipefail"]
    for n, c in enumerate(commands):
        shown = c.text.replace("\\\n", " ").replace("\n", " ")
        out.append(f"echo {shlex.quote(f'docs: {c.where()}: $ {shown}')} >&2")
        out.append("__t=$(date +%s%N)")
        # Braces, not a subshell: a `cd` or a variable carries on to the next command.
        out.append("{\n" + c.text + "\n} > " + shlex.quote(os.path.join(outdir, str(n))))
        out.append("cat " + shlex.quote(os.path.join(outdir, str(n))))
        out.append(f"echo \"docs: {c.where()}: ok, $(( ($(date +%s%N) - __t) / 1000000 )) ms\" >&2")
    return "\n".join(out) + "\n"


def normalise(line):
    for pattern, replacement in VOLATILE:
        line = pattern.sub(replacement, line)
    return line.rstrip()


def same_line(shown, actual):
    """Equal after normalising, numbers within a relative 1e-3."""
    a, b = normalise(shown).split(), normalise(actual).split()
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if x == y:
            continue
        if not (NUMBER.match(x) and NUMBER.match(y)) or (x.isdigit() and y.isdigit()):
            return False   # counts, positions and lengths must be exact
        fx, fy = float(x), float(y)
        if abs(fx - fy) > 1e-3 * max(abs(fx), abs(fy)) + 1e-9:
            return False
    return True


def check_output(c, actual_lines):
    """None when every line the command wrote is shown, in order; else what differs."""
    shown = [l for l in c.shown if l.strip()]
    i = 0
    for a in (l for l in actual_lines if l.strip()):
        while i < len(shown) and not same_line(shown[i], a):
            i += 1
        if i == len(shown):
            return f"it wrote\n    {a}\nwhich the document does not show (in this order)"
        i += 1
    return None


def run_file(path, commands, workdir, bins):
    folder = os.path.join(workdir, os.path.splitext(os.path.basename(path))[0])
    os.makedirs(folder, exist_ok=True)
    link = os.path.join(folder, "resources")
    if not os.path.lexists(link):
        os.symlink(os.path.join(ROOT, "resources"), link)
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([os.path.abspath(b) for b in bins] + [env.get("PATH", "")])
    env["QT_QPA_PLATFORM"] = "offscreen"   # the guide's GUI commands are --snapshot … --quit
    # The GUI's settings (recent files, window layout) and Qt's runtime folder go to the scratch
    # folder: the pictures do not depend on the user's settings, and the test does not change them.
    for var in ("XDG_CONFIG_HOME", "XDG_RUNTIME_DIR"):
        env[var] = os.path.join(folder, ".xdg", var.lower())
        os.makedirs(env[var], mode=0o700, exist_ok=True)
    outdir = os.path.join(folder, ".docs-stdout")
    os.makedirs(outdir, exist_ok=True)
    started = time.monotonic()
    r = subprocess.run(["bash", "-c", session_script(commands, outdir)], cwd=folder, env=env)
    took = time.monotonic() - started
    if r.returncode != 0:
        print(f"FAILED: {os.path.relpath(path, ROOT)}: the last command announced above exited {r.returncode} "
              f"(run in {folder})", file=sys.stderr)
        return False, folder
    ok = True
    for n, c in enumerate(commands):
        if not c.check or not any(l.strip() for l in c.shown):
            continue
        with open(os.path.join(outdir, str(n)), encoding="utf-8", errors="replace") as f:
            problem = check_output(c, f.read().split("\n"))
        if problem:
            print(f"FAILED: {c.where()}: the output shown is not what the command writes: {problem}", file=sys.stderr)
            ok = False
    print(f"docs: {os.path.relpath(path, ROOT)}: {len(commands)} commands run in {took:.1f} s", file=sys.stderr)
    return ok, folder


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("files", nargs="*", help="Markdown files (default: README.md and docs/*.md)")
    p.add_argument("--bin", action="append", default=[], help="folder put first on PATH (repeatable)")
    p.add_argument("--workdir", help="keep the scratch folders here (default: a temporary folder, removed)")
    p.add_argument("--list", action="store_true", help="print the commands and images, run nothing")
    a = p.parse_args()

    files = [os.path.abspath(f) for f in a.files] or \
        [os.path.join(ROOT, "README.md")] + sorted(glob.glob(os.path.join(ROOT, "docs", "*.md")))
    ok, parsed = True, []
    for f in files:
        commands, images, problems = parse(f)
        for pr in problems:
            print(f"FAILED: {pr}", file=sys.stderr)
            ok = False
        parsed.append((f, commands, images))

    if a.list:
        for f, commands, images in parsed:
            for c in commands:
                print(f"{c.where()}: $ {c.text}")
            for i in images:
                print(f"{os.path.relpath(f, ROOT)}: image {i}")
        return 0 if ok else 1

    workdir = a.workdir or tempfile.mkdtemp(prefix="ms_docs_")
    os.makedirs(workdir, exist_ok=True)
    written = set()
    try:
        for f, commands, _ in parsed:
            if not commands:
                continue
            good, folder = run_file(f, commands, workdir, a.bin)
            ok &= good
            for dirpath, _, names in os.walk(folder):
                written.update(names)
        images_dir = os.path.join(ROOT, "docs", "images")
        for f, commands, images in parsed:
            for i in images:
                if re.match(r"^[a-z]+://", i):
                    continue
                target = os.path.normpath(os.path.join(os.path.dirname(f), i))
                if not os.path.isfile(target):
                    print(f"FAILED: {os.path.relpath(f, ROOT)} links the image '{i}', which does not exist", file=sys.stderr)
                    ok = False
                elif commands and os.path.dirname(target) == images_dir and os.path.basename(target) not in written:
                    print(f"FAILED: {os.path.relpath(f, ROOT)} links '{i}', but no documented command writes "
                          f"'{os.path.basename(target)}' (tools/docs/make_screenshots.sh regenerates images from the "
                          f"guide's commands)", file=sys.stderr)
                    ok = False
    finally:
        if not a.workdir and ok:
            shutil.rmtree(workdir)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
