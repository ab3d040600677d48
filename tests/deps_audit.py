#!/usr/bin/python3
"""deps_audit.py - every dependency the build and the tests use is declared in the Makefile.

Collects the Python modules the tests import, the programs the Makefile and the scripts
run, the pkg-config names and the Perl modules, finds the Debian package that owns each
(dpkg -S) and checks that it is in one of the Makefile's package lists (a variable ending
in _PKGS, or the words given to tests/deps.sh), is pulled in by one through Depends
(python3-scapy pulls python3-minimal), or has Priority required. Prints one line per missing
declaration: the file, what it uses, the package to add. Closing line: N passed, M failed.
"""
import ast
import glob
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SYS_PATH = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]
SHELL_WORDS = set(subprocess.run(["bash", "-c", "compgen -b; compgen -k"], capture_output=True,
                                 text=True).stdout.split())
OWN_PROGRAMS = {"phonehome", "phonehome-geoip"}  # what make install and the .deb provide
PROCESS_CALLS = {"run", "Popen", "check_output", "check_call", "call", "which", "sh", "ns"}


def sh(*args):
    return subprocess.run(list(args), capture_output=True, text=True)


# --- what is declared --------------------------------------------------------------------

def makefile_text():
    with open(os.path.join(ROOT, "Makefile")) as f:
        return f.read().replace("\\\n", " ")


def declared_packages(mk):
    pkgs = set()
    for name, value in re.findall(r"^(\w+_PKGS)\s*[:+]?=([^#\n]*)", mk, re.M):
        pkgs.update(value.split())
    for args in re.findall(r"tests/deps\.sh\s+([^\n;&|]*)", mk):
        pkgs.update(w for w in args.split() if not w.startswith("$"))
    return pkgs


def hard_depends(pkgs):
    """Every package that installing pkgs pulls in (Depends and Pre-Depends, recursively)."""
    out = sh("apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts",
             "--no-breaks", "--no-replaces", "--no-enhances", *sorted(pkgs)).stdout
    return {l.split(":")[0].strip() for l in out.splitlines() if l and not l.startswith(" ")}


def candidates(path):
    """path as given, resolved, and across the /usr merge: dpkg knows each file by one name."""
    cands = [path, os.path.realpath(path)]
    for p in list(cands):
        if p.startswith("/usr/"):
            cands.append(p[4:])
        elif p.startswith(("/bin/", "/sbin/", "/lib/")):
            cands.append("/usr" + p)
    return cands


def owners(paths):
    """{path: Debian package owning it}, from one dpkg -S call."""
    cands = {c: p for p in paths for c in candidates(p)}
    out = sh("dpkg", "-S", *sorted(cands)).stdout if cands else ""
    found = {}
    for line in out.splitlines():
        if line.startswith("diversion by") or ": " not in line:
            continue
        pkg, f = line.split(": ", 1)
        if f in cands:
            found.setdefault(cands[f], pkg.split(",")[0].split(":")[0].strip())
    return found


def priorities(pkgs):
    """{package: Priority} as the archive gives it (apt-cache), where dpkg's status may differ:
    mmdebstrap records apt as important, the bookworm archive calls it required."""
    out = sh("apt-cache", "show", "--no-all-versions", *sorted(pkgs)).stdout if pkgs else ""
    prio, pkg = {}, None
    for line in out.splitlines():
        if line.startswith("Package: "):
            pkg = line.split()[1]
        elif line.startswith("Priority: ") and pkg:
            prio.setdefault(pkg, line.split()[1])
    return prio


# --- what is used ------------------------------------------------------------------------

def program_path(word):
    if word.startswith("/"):
        return word if os.access(word, os.X_OK) else None
    for d in SYS_PATH:
        p = os.path.join(d, word)
        if os.access(p, os.X_OK) and not os.path.isdir(p):
            return p
    return None


COMMAND_PREFIXES = {"sudo", "exec", "command", "time", "nice", "env", "timeout", "!", "then", "do",
                    "else", "if", "while", "until", "{", "(", "elif"}


def shell_commands(text):
    """First words of the simple commands in a shell script or a Makefile recipe."""
    words, heredoc = [], None
    for line in text.splitlines():
        if heredoc:
            if line.strip() == heredoc:
                heredoc = None
            continue
        m = re.search(r"<<-?\s*['\"]?(\w+)", line)
        if m:
            heredoc = m.group(1)
        line = re.sub(r"(^|\s)#.*$", "", line)
        line = re.sub(r"'[^']*'|\"[^\"]*\"", " STR ", line)  # quoted text runs nothing itself
        line = re.sub(r"\$?\(\([^)]*\)\)", " 0 ", line)              # arithmetic
        for part in re.split(r"\|\||&&|[;|&`]|\$\(|\(|\)", line):
            toks = part.split()
            while toks and (toks[0] in COMMAND_PREFIXES or re.match(r"^\w+=", toks[0])):
                if toks[0] == "timeout" and len(toks) > 1:
                    toks = toks[1:]
                toks = toks[1:]
            if toks:
                words.append(toks[0])
    return words


def plausible_program(w, functions):
    return (re.match(r"^[A-Za-z0-9_./+-]+$", w) and w not in SHELL_WORDS and w not in functions
            and w not in ("STR", "true", "false") and not w.startswith((".", "-", "build/", "tests/",
            "bench/", "geoip/", "src/")) and not w.endswith((".py", ".sh", ".pl", ".pcap", ".pcapng", ".json", ".csv", ".txt", ".html", ".log"))
            and "=" not in w and not w.isdigit() and (not w.startswith("/") or w.startswith(("/usr/", "/bin/", "/sbin/")))
            and w not in OWN_PROGRAMS)


def script_programs(path, text):
    functions = set(re.findall(r"^\s*(?:function\s+)?([\w-]+)\s*\(\)", text, re.M))
    return [(path, w) for w in shell_commands(text) if plausible_program(w, functions)]


def makefile_programs(mk):
    recipes = "\n".join(l[1:] for l in mk.splitlines() if l.startswith("\t"))
    recipes = recipes.replace("$(CC)", "cc").replace("$(MAKE)", "make")
    recipes = re.sub(r"\$[({][^)}]*[)}]|\$[@<^*]", " $V ", recipes).replace("$$", "$")
    recipes = re.sub(r"^[@-]+", "", recipes, flags=re.M)
    return [("Makefile", w) for w in shell_commands(recipes)
            if "$" not in w and plausible_program(w, set())]


def first_string(node):
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def which_or(tree):
    """`which("chromium") or which("chromium-browser")`: [(the calls, their names)]."""
    groups = []
    for node in ast.walk(tree):
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
            calls = [v for v in node.values if isinstance(v, ast.Call) and v.args
                     and getattr(v.func, "attr", getattr(v.func, "id", "")) == "which" and first_string(v.args[0])]
            if len(calls) == len(node.values) > 1:
                groups.append((calls, [first_string(c.args[0]) for c in calls]))
    return groups


def python_programs(path, tree):
    """Programs named in subprocess calls: ["prog", ...], run("prog", ...), which("prog"),
    and the command after `ip netns exec NS`."""
    found = []
    alternatives = {id(c) for calls, _ in which_or(tree) for c in calls}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args or id(node) in alternatives:
            continue
        f = node.func
        name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
        if name not in PROCESS_CALLS:
            continue
        a0 = node.args[0]
        elts = a0.elts if isinstance(a0, (ast.List, ast.Tuple)) else node.args
        if isinstance(a0, ast.BinOp) and isinstance(a0.left, ast.List):
            elts = a0.left.elts
        strs = [first_string(e) for e in elts]
        if strs[:3] == ["ip", "netns", "exec"] and len(strs) > 4 and strs[4]:
            found.append((path, strs[4]))
        if strs and strs[0] and plausible_program(strs[0], set()) or (strs and strs[0] and strs[0].startswith("/usr/")):
            found.append((path, strs[0]))
    return found


def python_alternatives(path, tree):
    """`for name in ("chromium", "chromium-browser"): which(name)`: the first that exists."""
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.For) and isinstance(node.iter, (ast.Tuple, ast.List))
                and isinstance(node.target, ast.Name)):
            continue
        names = [first_string(e) for e in node.iter.elts]
        calls = [c for c in ast.walk(node) if isinstance(c, ast.Call) and c.args
                 and getattr(c.func, "attr", getattr(c.func, "id", "")) == "which"
                 and isinstance(c.args[0], ast.Name) and c.args[0].id == node.target.id]
        if calls and all(names):
            found.append((path, names))
    return found + [(path, names) for _, names in which_or(tree)]


def python_imports(path, tree):
    mods = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            mods.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            mods.add(node.module.split(".")[0])
    local = {os.path.splitext(os.path.basename(p))[0] for d in ("tests", "bench")
             for p in glob.glob(os.path.join(ROOT, d, "**", "*.py"), recursive=True)}
    return [(path, m) for m in sorted(mods) if m not in sys.stdlib_module_names and m not in local]


def module_origin(mod):
    code = "import importlib.util as u, sys; s = u.find_spec(sys.argv[1]); print(s.origin if s else '')"
    return sh("/usr/bin/python3", "-c", code, mod).stdout.strip() or None


def perl_modules(path, text):
    mods = re.findall(r"^\s*use\s+([A-Z][\w:]+)", text, re.M) + re.findall(r"-M([A-Z][\w:]+)", text)
    return [(path, m) for m in mods]


def perl_origin(mod):
    r = sh("perl", "-M" + mod, "-e", 'print $INC{$ARGV[0]}', mod.replace("::", "/") + ".pm")
    return r.stdout.strip() or None


def pkgconfig_origin(name):
    r = sh("pkg-config", "--path", name)
    return r.stdout.strip() or None


# --- the audit ---------------------------------------------------------------------------

def sources():
    pats = ["tests/**/*.py", "tests/**/*.sh", "tests/**/*.pl", "bench/*.sh", "bench/*.py",
            "geoip/*.sh", "geoip/*.pl", "geoip/phonehome-geoip", ".ci/mkdeb.sh"]
    out = set()
    for p in pats:
        out.update(glob.glob(os.path.join(ROOT, p), recursive=True))
    return sorted(out)


def main():
    mk = makefile_text()
    listed = declared_packages(mk)
    accepted = listed | hard_depends(listed)
    uses = []  # (file, what, path or None)
    for name in re.search(r"^PKGS\s*:?=(.*)$", mk, re.M).group(1).split():
        uses.append(("Makefile", "pkg-config " + name, pkgconfig_origin(name)))
    for f, w in makefile_programs(mk):
        uses.append((f, "program " + w, program_path(w)))
    for path in sources():
        rel = os.path.relpath(path, ROOT)
        with open(path, errors="replace") as fh:
            text = fh.read()
        if path.endswith(".py"):
            tree = ast.parse(text, path)
            for f, m in python_imports(rel, tree):
                uses.append((f, "import " + m, module_origin(m)))
            for f, w in python_programs(rel, tree):
                uses.append((f, "program " + w, program_path(w)))
            for f, names in python_alternatives(rel, tree):
                paths = [program_path(w) for w in names]
                uses.append((f, "program " + "|".join(names), next((p for p in paths if p), None)))
        elif path.endswith(".pl"):
            for f, m in perl_modules(rel, text):
                uses.append((f, "perl " + m, perl_origin(m)))
        else:
            for f, w in script_programs(rel, text):
                uses.append((f, "program " + w, program_path(w)))
            for f, m in perl_modules(rel, text):
                uses.append((f, "perl " + m, perl_origin(m)))
    uses = list(dict(((f, what), (f, what, path)) for f, what, path in uses).values())
    pkg_of = owners({path for _, _, path in uses if path})
    prio = priorities(set(pkg_of.values()))
    passed = failed = 0
    for f, what, path in uses:
        pkg = pkg_of.get(path)
        if pkg and (pkg in accepted or prio.get(pkg) == "required"):
            passed += 1
            if "-v" in sys.argv:
                print("deps-audit: %s: %s: %s" % (f, what, pkg))
            continue
        name = what.split(" ", 1)[1]
        if not path and what.startswith("program ") and name in listed:
            passed += 1  # a declared package of that name, not installed here (make fuzz's clang)
            continue
        failed += 1
        if not path:
            print("deps-audit: %s: %s: not installed; add the Debian package that provides it to DEBIAN_PKGS"
                  % (f, what))
        elif not pkg:
            print("deps-audit: %s: %s: %s belongs to no Debian package (installed by hand?)" % (f, what, path))
        else:
            print("deps-audit: %s: %s: package %s is not declared; add it to DEBIAN_PKGS" % (f, what, pkg))
    print("deps-audit: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
