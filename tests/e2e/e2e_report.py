#!/usr/bin/python3
"""e2e_report.py - end-to-end tests of the auditor's outputs: -o DIR (report.json, report.html,
report.md, events.json, evidence.pcap), --eve, --format md, --pdf, the chain of custody.

The HTML is rendered by Debian's headless Chromium: --dump-dom shows what a browser built
(no script ran, the verdict, the chart and every leak are there) and a screenshot is kept in
build/e2e/artifacts/.  evidence.pcap is read back through libpcap (ctypes) and decoded with
scapy.  Run through tests/e2e/run.sh after e2e.py (it makes build/fixtures and build/test).
"""
import ctypes
import ctypes.util
import glob
import html.parser
import html as html_mod
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e  # noqa: E402  (helpers and paths; importing it runs no case)
from e2e import Fail, check, fx, sha256, CITY, ASN, IDENT, PH, ROOT  # noqa: E402
import captures  # noqa: E402

OUT = os.environ.get("E2E_REPORT_OUT", os.path.join(ROOT, "build", "e2e-report"))
ART = os.path.join(OUT, "artifacts")
EPOCH = "1700000000"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage"]
CASES = []


def case(fn):
    CASES.append(fn)
    return fn


def ph(args, env_extra=None, timeout=180):
    env = dict(os.environ)
    env.update(env_extra or {})
    p = subprocess.run([PH] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout, env=env)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def fresh_dir(name):
    d = os.path.join(OUT, "report-" + name)
    shutil.rmtree(d, ignore_errors=True)
    return d


def base_args(inputs, identity=IDENT):
    args = []
    for i in ([inputs] if isinstance(inputs, str) else inputs):
        args += ["-r", i]
    if identity:
        args += ["--identity", identity]
    return args + ["--geoip", CITY, "--asn-db", ASN, "--home", "IN"]


def report_dir(inputs, name, extra=(), env=None, identity=IDENT):
    """Runs with -o DIR; expects exit 0 and the five files, no temporary file left."""
    d = fresh_dir(name)
    rc, out, err = ph(base_args(inputs, identity) + ["-o", d] + list(extra), env)
    check(rc == 0, "exit %d; stderr: %s" % (rc, err.strip()[:300]))
    for f in ("report.json", "report.html", "report.md", "events.json", "evidence.pcap"):
        check(os.path.isfile(os.path.join(d, f)), "%s missing in -o DIR" % f)
    left = [f for f in os.listdir(d) if f.startswith(".") or "tmp" in f]
    check(not left, "temporary files left in DIR: %s" % left)
    with open(os.path.join(d, "report.json")) as f:
        rep = json.load(f)
    return d, rep, out


def read(path, mode="r"):
    with open(path, mode) as f:
        return f.read()


# ---------------------------------------------------------------- browser
def chromium():
    for name in ("chromium", "chromium-browser"):
        p = shutil.which(name)
        if p:
            return p
    raise Fail("chromium not installed (make deps installs Debian's chromium)")


def browse(html_path, shot=None, size="1100,2400"):
    """--dump-dom of the page (and a screenshot when shot is given)."""
    prof = tempfile.mkdtemp(prefix="ph-chromium-")
    try:
        base = [chromium()] + CHROMIUM_FLAGS + ["--user-data-dir=" + prof]
        url = "file://" + os.path.abspath(html_path)
        p = subprocess.run(base + ["--dump-dom", url], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=120)
        check(p.returncode == 0, "chromium --dump-dom exit %d: %s" % (p.returncode, p.stderr[-300:]))
        dom = p.stdout.decode("utf-8", "replace")
        check("<html" in dom, "chromium dumped no DOM")
        if shot:
            os.makedirs(os.path.dirname(shot), exist_ok=True)
            p = subprocess.run(base + ["--window-size=" + size, "--screenshot=" + shot, url],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
            check(p.returncode == 0 and os.path.getsize(shot) > 10000, "chromium screenshot failed")
        return dom
    finally:
        shutil.rmtree(prof, ignore_errors=True)


class Dom(html.parser.HTMLParser):
    """Elements (tag, attrs) and the text of the page as the browser left it."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.elems, self.texts = [], []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.elems.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.texts.append(data)

    def tags(self, tag, **attrs):
        return [a for t, a in self.elems if t == tag and all(
            v in (a.get(k) or "").split() or a.get(k) == v for k, v in attrs.items())]

    def text(self):
        return " ".join(self.texts)


# The sample's verdict: the phone's own identifiers, then other people's data, in the same words
# in the text summary, report.md and report.html.
REDMI_VERDICT = ("IMEI, the phone's number and its carrier; the number and name of a contact; an SMS sender's "
                 "number sent in cleartext to servers in China")


def page_checks(dom, rep):
    """The verdict, the chart, the timeline and every leak are in the page."""
    d = Dom(dom)
    check(not d.tags("script"), "a <script> element is in the page")
    check(not d.tags("img") and not d.tags("iframe"), "an <img>/<iframe> element is in the page")
    check(not any(k.startswith("on") for _, a in d.elems for k in a), "an on* handler attribute in the page")
    check(not any(a.get("data-pwned") for _, a in d.elems), "the hostile script ran (data-pwned set)")
    check(len(d.tags("style")) == 1, "want exactly one <style>, got %d" % len(d.tags("style")))
    check(len([1 for t, a in d.elems if t == "div" and a.get("id") == "verdict"]) == 1, "no verdict box")
    check(d.tags("svg", id="country-chart"), "no country chart")
    check(d.tags("svg", id="leak-timeline") or not rep["leaks"], "no timeline")
    rows = d.tags("tr", **{"class": "leak"})
    check(len(rows) == len(rep["leaks"]), "page has %d leak rows, report.json %d leaks" % (
        len(rows), len(rep["leaks"])))
    check(len(d.tags("circle")) == len(rep["leaks"]), "timeline has %d dots for %d leaks" % (
        len(d.tags("circle")), len(rep["leaks"])))
    found = d.tags("tr", **{"class": "finding"})
    check(len(found) == len(rep.get("findings", [])), "page has %d finding rows, report.json %d findings" % (
        len(found), len(rep.get("findings", []))))
    check(len(d.tags("details")) == len(found), "want one <details> per finding, got %d" % len(d.tags("details")))
    return d


# ---------------------------------------------------------------- pcap
class PktHdr(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_usec", ctypes.c_long), ("caplen", ctypes.c_uint32),
                ("len", ctypes.c_uint32)]


def pcap_read(path):
    """(linktype, [(ts_us, bytes)]) through libpcap itself."""
    lib = ctypes.CDLL(ctypes.util.find_library("pcap") or "libpcap.so")
    lib.pcap_open_offline.restype = ctypes.c_void_p
    lib.pcap_open_offline.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    lib.pcap_next_ex.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.POINTER(PktHdr)),
                                 ctypes.POINTER(ctypes.POINTER(ctypes.c_ubyte))]
    lib.pcap_datalink.argtypes = [ctypes.c_void_p]
    lib.pcap_close.argtypes = [ctypes.c_void_p]
    err = ctypes.create_string_buffer(512)
    pc = lib.pcap_open_offline(path.encode(), err)
    check(pc, "libpcap cannot open %s: %s" % (path, err.value.decode()))
    dlt = lib.pcap_datalink(pc)
    hdr, data, pkts = ctypes.POINTER(PktHdr)(), ctypes.POINTER(ctypes.c_ubyte)(), []
    while True:
        r = lib.pcap_next_ex(pc, ctypes.byref(hdr), ctypes.byref(data))
        if r != 1:
            break
        h = hdr.contents
        pkts.append((h.tv_sec * 1000000 + h.tv_usec, ctypes.string_at(data, h.caplen)))
    lib.pcap_close(pc)
    check(r == -2, "libpcap read of %s ended with %d, not end of file" % (path, r))
    return dlt, pkts


def tuple_of(frame):
    from scapy.all import Ether, IP, IPv6, TCP, UDP
    p = Ether(frame)
    l3 = p.getlayer(IP) or p.getlayer(IPv6)
    l4 = p.getlayer(TCP) or p.getlayer(UDP)
    if not l3 or not l4:
        return None
    a, b = (l3.src, l4.sport), (l3.dst, l4.dport)
    return ("TCP" if p.haslayer(TCP) else "UDP",) + tuple(sorted([a, b]))


def flow_key(fl):
    return (fl["proto"],) + tuple(sorted([(fl["src_ip"], fl["src_port"]), (fl["dest_ip"], fl["dest_port"])]))


def evidence_checks(d, rep, inputs):
    dlt, pkts = pcap_read(os.path.join(d, "evidence.pcap"))
    check(dlt == 1, "evidence.pcap link type %d, want 1 (Ethernet, as the input)" % dlt)
    leaking = {flow_key(f): f for f in rep["flows"] if f["leaks"] > 0}
    want = sum(f["pkts_toserver"] + f["pkts_toclient"] for f in leaking.values())
    check(len(pkts) == want, "evidence.pcap has %d packets, the leaking flows %d" % (len(pkts), want))
    for ts, frame in pkts:
        check(tuple_of(frame) in leaking, "evidence packet of a flow that did not leak: %r" % (tuple_of(frame),))
    check([ts for ts, _ in pkts] == sorted(ts for ts, _ in pkts), "evidence not in capture order")
    # the same frames, byte for byte, as in the inputs
    orig = []
    for i in inputs:
        orig += [fr for _, fr in pcap_read(i)[1] if tuple_of(fr) in leaking]
    check([fr for _, fr in pkts] == orig, "evidence frames differ from the input's")


# ---------------------------------------------------------------- EVE
EVE_TYPES = {"flow", "dns", "http", "tls", "leak", "alert"}


def eve_checks(path, rep):
    lines = read(path).splitlines()
    check(lines, "events.json is empty")
    evs = []
    for n, line in enumerate(lines, 1):
        try:
            evs.append(json.loads(line))
        except ValueError as e:
            raise Fail("events.json line %d is not JSON: %s" % (n, e))
    for e in evs:
        for k in ("timestamp", "flow_id", "event_type"):
            check(k in e, "EVE event lacks %r: %s" % (k, e))
        check(e["event_type"] in EVE_TYPES, "EVE event_type %r" % e["event_type"])
        check(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+0000$", e["timestamp"]),
              "EVE timestamp %r" % e["timestamp"])
        check(e["event_type"] in e, "EVE %s event lacks its %r object" % (e["event_type"], e["event_type"]))
        if "src_ip" in e:
            for k in ("src_port", "dest_ip", "dest_port", "proto"):
                check(k in e, "EVE event lacks %r" % k)
    ts = [e["timestamp"] for e in evs]
    check(ts == sorted(ts), "EVE events not in time order")
    by = {}
    for e in evs:
        by.setdefault(e["event_type"], []).append(e)
    check(len(by.get("flow", [])) == len(rep["flows"]), "EVE flow events %d, flows %d" % (
        len(by.get("flow", [])), len(rep["flows"])))
    check(len(by.get("leak", [])) == len(rep["leaks"]), "EVE leak events %d, leaks %d" % (
        len(by.get("leak", [])), len(rep["leaks"])))
    check(len(by.get("alert", [])) == len(rep["leaks"]), "EVE alert events %d, leaks %d" % (
        len(by.get("alert", [])), len(rep["leaks"])))
    return by


def no_raw_identifiers(text, what):
    ident = captures.load_identity(IDENT)
    for k in ("imei", "imsi", "android_id", "email"):
        v = ident.get(k)
        check(not v or v not in text, "%s shows the %s unmasked" % (what, k))
    ph_num = ident["phone_number"].lstrip("+")
    check(ph_num not in text, "%s shows the phone number unmasked" % what)


# ---------------------------------------------------------------- cases
@case
def report_dir_redmi():
    inp = fx("redmi1s.pcap")
    d, rep, out = report_dir(inp, "redmi", env={"SOURCE_DATE_EPOCH": EPOCH})
    e2e.invariants(e2e.Run(0, out, "", rep), [inp])
    check(rep["leaks"], "no leaks in the redmi report")
    evidence_checks(d, rep, [inp])
    by = eve_checks(os.path.join(d, "events.json"), rep)
    for t in ("dns", "http", "tls"):
        check(by.get(t), "no EVE %s event" % t)
    check(any(e["http"]["hostname"] == captures.XIAOMI for e in by["http"]), "no http event for xiaomi")
    check(any(e["tls"]["sni"] == "www.google.com" for e in by["tls"]), "no tls event with the SNI")
    check(any(e["dns"]["rrname"] == captures.XIAOMI and e["dns"]["version"] == 2 and
              any(x["rdata"] == captures.CN for x in e["dns"].get("answers", [])) for e in by["dns"]),
          "no dns answer event for xiaomi")
    for name in ("report.html", "report.md", "events.json", "report.json"):
        no_raw_identifiers(read(os.path.join(d, name)), name)
    check("8623xxxxxxx4568" in read(os.path.join(d, "events.json")), "masked IMEI not in events.json")
    html = read(os.path.join(d, "report.html"))
    check("http://" not in html.replace("http://www.w3.org/2000/svg", "") and "https://" not in html,
          "report.html refers to the network")
    check("<script" not in html.lower(), "report.html has a script")
    dom = browse(os.path.join(d, "report.html"), os.path.join(ART, "redmi1s.png"))
    page = page_checks(dom, rep)
    text = page.text()
    check(REDMI_VERDICT in text, "verdict %r not in the page" % REDMI_VERDICT)
    check(REDMI_VERDICT in html_mod.unescape(read(os.path.join(d, "report.md"))), "verdict not in report.md")
    check("Verdict: %s." % REDMI_VERDICT in out, "verdict not in the text summary")
    check("China (CN)" in text and "India (IN)" in text, "chart countries missing")
    check("api.account.xiaomi.com" in text and "AS23724" in text or "IDC" in text, "destination details missing")
    check(rep["custody"]["analysis_time"] == "2023-11-14T22:13:20Z", "SOURCE_DATE_EPOCH not used: %r" %
          rep["custody"]["analysis_time"])


@case
def report_whose():
    """Whose data: the address book is one finding row whose 36 hits open under <details>; the
    verdict names the phone's number apart from other people's data, the same in all three."""
    inp = fx("whose.pcap")
    d, rep, out = report_dir(inp, "whose", identity=fx("identity-book.json"))
    e2e.invariants(e2e.Run(0, out, "", rep), [inp])
    want = ("the phone's number; the numbers of %d contacts and 2 of their names; another person's number; "
            "another person's e-mail address sent in cleartext to servers in China" % captures.BOOK_SIZE)
    check("Verdict: %s." % want in out, "text verdict:\n%s" % out[-500:])
    md = html_mod.unescape(read(os.path.join(d, "report.md")))
    check("**Verdict: %s.**" % want in md, "Markdown verdict")
    check("## Findings: 4 (1 of the phone's own identifiers, 3 of other people's data) from" in md, "Markdown count")
    check(md.count("| other people |") == 3 and md.count("| the phone |") == 1, "Markdown whose column")
    check("| contact | other people | %d |" % captures.BOOK_SIZE in md, "Markdown address-book row")
    dom = browse(os.path.join(d, "report.html"), os.path.join(ART, "whose.png"))
    page = page_checks(dom, rep)
    text = page.text()
    check(want in text, "verdict %r not in the page" % want)
    check("4 (1 of the phone's own identifiers, 3 of other people's data)" in text, "page findings count")
    book = [f for f in rep["findings"] if f["kind"] == "contact"]
    check(len(book) == 1 and book[0]["count"] == captures.BOOK_SIZE, "address-book finding %r" % book)
    check(page.tags("tr", id="finding-%d" % book[0]["id"]), "no row for the address-book finding")
    evs = [json.loads(x) for x in read(os.path.join(d, "events.json")).splitlines() if x]
    subj = sorted({str(e["leak"].get("subject", "missing")) for e in evs if e["event_type"] == "leak"})
    check(subj == ["device", "third_party"], "EVE leak subjects %r" % subj)


@case
def report_json_same_as_json_option():
    inp = fx("redmi1s.pcap")
    d, rep, _ = report_dir(inp, "same", env={"SOURCE_DATE_EPOCH": EPOCH})
    j = os.path.join(OUT, "same.json")
    rc, _, err = ph(base_args(inp) + ["--json", j], {"SOURCE_DATE_EPOCH": EPOCH})
    check(rc == 0, "--json run exit %d: %s" % (rc, err))
    other = json.loads(read(j))
    for doc in (rep, other):
        doc["custody"].pop("command_line")
    check(rep == other, "report.json differs from --json output (beyond the command line)")


@case
def custody_section():
    inp = fx("redmi1s.pcap")
    d, rep, _ = report_dir(inp, "custody")
    c = rep.get("custody")
    check(isinstance(c, dict), "no custody section")
    for k in ("tool_version", "command_line", "inputs", "identity_sha256", "rules", "databases", "analysis_time"):
        check(k in c, "custody lacks %r" % k)
    check(c["tool_version"] == rep["tool"]["version"], "custody tool_version")
    check(c["inputs"] == [{"path": inp, "sha256": sha256(inp)}], "custody inputs %r" % c["inputs"])
    check(c["identity_sha256"] == sha256(IDENT), "custody identity_sha256")
    check(len(c["rules"]) == 1 and c["rules"][0]["sha256"] == sha256(c["rules"][0]["path"]), "custody rules %r" %
          c["rules"])
    check({db["path"] for db in c["databases"]} == {CITY, ASN}, "custody databases %r" % c["databases"])
    for db in c["databases"]:
        check(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", db["build_date"]) and db["type"],
              "database build_date/type %r" % db)
    check(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", c["analysis_time"]), "analysis_time %r" %
          c["analysis_time"])
    for part in ("-o", d, "--home IN", "--identity", IDENT):
        check(part in c["command_line"], "command_line %r lacks %r" % (c["command_line"], part))
    html = read(os.path.join(d, "report.html"))
    for v in (sha256(inp), sha256(IDENT), c["rules"][0]["sha256"], c["databases"][0]["build_date"]):
        check(v in html, "custody value %s not in report.html" % v)


@case
def deterministic_twice():
    inp = fx("redmi1s.pcap")
    runs = []
    for i in range(2):
        d = fresh_dir("twice")
        rc, _, err = ph(base_args(inp) + ["-o", d])
        check(rc == 0, "exit %d: %s" % (rc, err))
        runs.append({n: read(os.path.join(d, n), "rb") for n in sorted(os.listdir(d))})
    a, b = runs
    check(sorted(a) == sorted(b), "different file sets")
    strip = re.compile(rb'"analysis_time": "[^"]*"|<tr><td>analysis time</td><td class="mono">[^<]*</td></tr>'
                       rb'|- Analysis time: .*')
    for n in a:
        check(strip.sub(b"", a[n]) == strip.sub(b"", b[n]), "%s differs between two runs" % n)
    for i in range(2):
        d = fresh_dir("epoch%d" % i)
        rc, _, err = ph(base_args(inp) + ["-o", os.path.join(OUT, "report-epoch")],
                        {"SOURCE_DATE_EPOCH": EPOCH})
        check(rc == 0, "exit %d: %s" % (rc, err))
        runs[i] = {n: read(os.path.join(OUT, "report-epoch", n), "rb") for n in ("report.json", "report.html")}
    check(runs[0] == runs[1], "with SOURCE_DATE_EPOCH the reports are not byte-identical")


@case
def hostile_capture_renders_as_text():
    inp = fx("hostile.pcap")
    d, rep, _ = report_dir(inp, "hostile")
    check(len(rep["leaks"]) == 2, "want 2 leaks in hostile.pcap, got %d" % len(rep["leaks"]))
    hosts = {f["host"] for f in rep["flows"]}
    check(captures.HOSTILE_HOST in hosts and captures.HOSTILE_HOST2 in hosts, "hostile hosts not parsed: %r" % hosts)
    html = read(os.path.join(d, "report.html"))
    for bad in ("<script>alert", "<img src=x", "</style><", "setAttribute('data-pwned"):
        check(bad not in html, "report.html contains %r unescaped" % bad)
    check(html.count("</style>") == 1, "more than one </style> in report.html")
    dom = browse(os.path.join(d, "report.html"), os.path.join(ART, "hostile.png"), size="1100,1500")
    page = page_checks(dom, rep)
    text = page.text()
    for s in (captures.HOSTILE_HOST, captures.HOSTILE_HOST2):
        check(s in text, "hostile host %r is not shown as text" % s)
    md = read(os.path.join(d, "report.md"))
    check("<script>" not in md and "<img" not in md, "report.md carries raw HTML")
    eve_checks(os.path.join(d, "events.json"), rep)


@case
def eve_option_alone():
    inp = fx("redmi1s.pcap")
    path = os.path.join(OUT, "alone.eve.json")
    if os.path.exists(path):
        os.unlink(path)
    rc, _, err = ph(base_args(inp) + ["--eve", path], {"SOURCE_DATE_EPOCH": EPOCH})
    check(rc == 0, "exit %d: %s" % (rc, err))
    d, rep, _ = report_dir(inp, "evecmp", env={"SOURCE_DATE_EPOCH": EPOCH})
    check(read(path) == read(os.path.join(d, "events.json")), "--eve FILE differs from DIR/events.json")
    eve_checks(path, rep)


def outputs_of(inputs, extra, env_extra):
    """-o DIR and --eve FILE of one run (the same paths every time): name -> bytes, and stats."""
    d, path = os.path.join(OUT, "report-spillcmp"), os.path.join(OUT, "spillcmp.eve.json")
    shutil.rmtree(d, ignore_errors=True)
    env = {"SOURCE_DATE_EPOCH": EPOCH}
    env.update(env_extra)
    rc, _, err = ph(base_args(inputs) + ["-o", d, "--eve", path] + extra, env)
    check(rc == 0, "exit %d: %s" % (rc, err.strip()[:300]))
    out = {n: read(os.path.join(d, n), "rb") for n in ("report.json", "report.html", "report.md", "events.json")}
    out["--eve"] = read(path, "rb")
    rep = json.loads(out["report.json"])
    return out, rep


@case
def spilled_in_many_runs_same_outputs():
    """HTML, Markdown and EVE stream flows from the spill (runs of 5 flows in $TMPDIR, the EVE's
    time order through runs of its own; ended flows' leaks moved to disk after every leak) and give
    what one in-memory run gives."""
    inputs = [fx("redmi1s.pcap"), os.path.join(ROOT, "..", "shared", "pcaps", "ndpi", "1kxun.pcap")]
    for extra in ([], ["--threads", "2", "--max-report-flows", "20"], ["--app", "com.sceneway.kankan"]):
        runs, rep = outputs_of(inputs, extra, {"PHONEHOME_SPILL_BATCH": "5", "PHONEHOME_LEAKS_OFFLOAD": "1"})
        one, rep1 = outputs_of(inputs, extra, {})
        check(rep["stats"].get("spill_bytes", 0) > 0, "%s: nothing spilled with runs of 5" % extra)
        check("spill_bytes" not in rep1["stats"], "%s: spilled with the default batch" % extra)
        check(len(rep["flows"]) > 20 or "--max-report-flows" in extra, "%s: %d flows" % (extra, len(rep["flows"])))
        check(sum(1 for l in runs["events.json"].splitlines() if b'"event_type":"flow"' in l) == len(rep["flows"]),
              "%s: EVE flow records are not the listed flows" % extra)
        for n in ("report.html", "report.md", "events.json", "--eve"):
            check(runs[n] == one[n], "%s: %s differs between many spilled runs and one in memory" % (extra, n))
        del rep["stats"]["spill_bytes"]
        check(rep == rep1, "%s: report.json differs between many spilled runs and one in memory" % extra)


@case
def format_md_stdout():
    rc, out, err = ph(base_args(fx("redmi1s.pcap")) + ["--format", "md"])
    check(rc == 0, "exit %d: %s" % (rc, err))
    check(out.startswith("# phonehome audit report"), "stdout is not the Markdown report: %r" % out[:80])
    check("**Verdict: %s.**" % REDMI_VERDICT in html_mod.unescape(out), "verdict missing in Markdown")
    check("| Time (UTC) |" in out and "## Findings: 10 (8 of the phone's own identifiers, 2 of other people's data)"
          in html_mod.unescape(out) and "## Chain of custody" in out, "Markdown sections missing")
    no_raw_identifiers(out, "--format md")
    rc, out, err = ph(base_args(fx("redmi1s.pcap")) + ["--format", "json"])
    check(rc == 0 and json.loads(out)["leaks"], "--format json: exit %d or no JSON on stdout" % rc)


@case
def show_identifiers_unmasks():
    d, rep, _ = report_dir(fx("redmi1s.pcap"), "showid", extra=["--show-identifiers"])
    imei = captures.load_identity(IDENT)["imei"]
    for n in ("report.html", "events.json", "report.md"):
        check(imei in read(os.path.join(d, n)), "--show-identifiers: IMEI not shown in %s" % n)


@case
def no_leak_empty_evidence():
    d, rep, _ = report_dir(fx("host_sni.pcap"), "noleak")
    check(not rep["leaks"], "leaks in host_sni.pcap")
    dlt, pkts = pcap_read(os.path.join(d, "evidence.pcap"))
    check(dlt == 1 and not pkts, "evidence.pcap without leaks: dlt %d, %d packets" % (dlt, len(pkts)))
    page_checks(browse(os.path.join(d, "report.html")), rep)


@case
def evidence_other_link_types():
    a, b = fx("link_ether.pcap"), fx("link_sll2.pcap")
    d, rep, _ = report_dir([a, b], "links")
    check(os.path.isfile(os.path.join(d, "evidence-LINUX_SLL2.pcap")), "no second evidence file: %s" %
          os.listdir(d))
    dlt, p1 = pcap_read(os.path.join(d, "evidence.pcap"))
    dlt2, p2 = pcap_read(os.path.join(d, "evidence-LINUX_SLL2.pcap"))
    check(dlt == 1 and dlt2 == 276, "link types %d, %d" % (dlt, dlt2))
    check(len(p1) == len(pcap_read(a)[1]) and len(p2) == len(pcap_read(b)[1]),
          "evidence packet counts %d, %d" % (len(p1), len(p2)))


@case
def pdf_with_chromium():
    chromium()
    d, rep, _ = report_dir(fx("redmi1s.pcap"), "pdf", extra=["--pdf"])
    pdf = os.path.join(d, "report.pdf")
    check(os.path.isfile(pdf) and read(pdf, "rb")[:5] == b"%PDF-", "no report.pdf")
    os.makedirs(ART, exist_ok=True)
    shutil.copy(pdf, os.path.join(ART, "redmi1s.pdf"))


# ---------------------------------------------------------------- --accept
# The carrier's domestic server (api.example.in, AS55836, IN) receiving the IMEI and carrier name, and
# the SMS sender's number sent to xiaomi.com, judged and accepted; an IMSI entry that matches nothing.
ACCEPT_ONE = [
    {"kind": "imei", "subject": "device", "host": "api.example.*", "reason": "the carrier's own domestic server",
     "accepted_by": "A. Auditor", "date": "2024-05-02"},
    {"kind": "carrier", "country": "in", "reason": "carrier name to the carrier"},
    {"kind": "imsi", "host": "*.jio.com", "reason": "carrier provisioning"},
]
ACCEPT_TWO = [{"kind": "sms", "subject": "third_party", "domain": "xiaomi.com", "encoding": "url",
               "reason": "SMS backup the user turned on"}]


def accept_file(name, entries):
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, name)
    with open(path, "w") as f:
        f.write(entries if isinstance(entries, str) else json.dumps(entries))
    return path


@case
def accept_two_files():
    """Two --accept files: the accepted leaks carry their reason, the verdict no longer names the SMS
    sender, the accepted findings are counted apart and listed in the appendix (Markdown, and HTML as
    Chromium renders it), the files are in the custody, the stale entry is a warning, EVE tags them."""
    inp = fx("redmi1s.pcap")
    a1, a2 = accept_file("accept-one.json", ACCEPT_ONE), accept_file("accept-two.json", ACCEPT_TWO)
    d, rep, out = report_dir(inp, "accept", extra=["--accept", a1, "--accept", a2])
    acc = [l for l in rep["leaks"] if l["accepted"]]
    check(all("accepted" in l for l in rep["leaks"]), "a leak lacks the accepted member")
    check(len(acc) == 3, "accepted leaks %r" % [(l["kind"], l["host"]) for l in acc])
    by_kind = {l["kind"]: l["accepted"] for l in acc}
    check(by_kind.get("imei") == {"reason": "the carrier's own domestic server", "by": "A. Auditor",
                                  "date": "2024-05-02", "entry": 1, "file": a1}, "imei accepted %r" % by_kind)
    check(by_kind.get("carrier", {}).get("entry") == 2 and by_kind["carrier"]["by"] is None, "carrier %r" % by_kind)
    check(by_kind.get("sms", {}).get("file") == a2, "sms accepted %r" % by_kind)
    check(all(l["host"] == "api.example.in" for l in acc if l["kind"] != "sms"), "accepted the wrong host")
    fa = [f for f in rep["findings"] if f["accepted"]]
    check(len(fa) == 3 and rep["summary"]["accepted_findings"] == 3, "accepted findings %r" % fa)
    want = ("IMEI, the phone's number and its carrier; the number and name of a contact sent in cleartext to "
            "servers in China")
    check("Verdict: %s." % want in out, "text verdict:\n%s" % out[-600:])
    check("SMS" not in out.split("Verdict:")[1], "the verdict still names the SMS sender")
    check("Findings: 7 (6 of the phone's own identifiers, 1 of other people's data) from 12 leaks; "
          "3 accepted findings, see below" in out, "text findings count:\n%s" % out)
    check("Accepted findings: 3 (left out of the verdict)" in out and "SMS backup the user turned on" in out,
          "text accepted list")
    stale = "accept entry 3 of %s (IMSI to *.jio.com) matched nothing" % a1
    check(stale in rep["warnings"], "stale warning %r not in %r" % (stale, rep["warnings"]))
    check("warning: " + stale in out, "stale warning not in the summary")
    check(rep["custody"]["accept_files"] == [{"path": a1, "sha256": sha256(a1)}, {"path": a2, "sha256": sha256(a2)}],
          "custody accept_files %r" % rep["custody"]["accept_files"])
    md = html_mod.unescape(read(os.path.join(d, "report.md")))
    check("**Verdict: %s.**" % want in md, "Markdown verdict")
    check("3 accepted findings, see appendix" in md and "## Appendix: accepted findings" in md, "Markdown appendix")
    check("the carrier's own domestic server" in md and "| A. Auditor | 2024-05-02 |" in md, "Markdown reason")
    check("## Findings: 7 (6 of the phone's own identifiers, 1 of other people's data)" in md, "Markdown count")
    for p in (a1, a2):
        check("SHA-256 `%s`" % sha256(p) in md, "Markdown custody lacks %s" % p)
    dom = browse(os.path.join(d, "report.html"), os.path.join(ART, "accept.png"))
    page = page_checks(dom, rep)
    text = page.text()
    check(want in text, "verdict %r not in the page" % want)
    check("3 accepted findings, see appendix" in text, "page accepted count")
    check(page.tags("table", id="accepted-table"), "no accepted-findings table in the appendix")
    check(len(page.tags("tr", **{"class": "accepted-finding"})) == 3, "want 3 accepted rows")
    check("SMS backup the user turned on" in text and "A. Auditor" in text, "page lacks the reasons")
    check(sha256(a1) in text and sha256(a2) in text, "page custody lacks the accept files")
    evs = [json.loads(x) for x in read(os.path.join(d, "events.json")).splitlines() if x]
    alerts = [e["alert"] for e in evs if e["event_type"] == "alert"]
    check(all(a["action"] == "allowed" for a in alerts), "an alert is not allowed")
    check(sum("accepted" in a["metadata"]["tag"] for a in alerts) == 3, "EVE accepted tags")


@case
def accept_asn_country_all():
    """Entries by ASN (every xiaomi leak) and by country (the domestic ones): nothing is left for the
    verdict, which says so; every finding is accepted."""
    inp = fx("redmi1s.pcap")
    a = accept_file("accept-all.json", [
        {"kind": "*", "asn": 23724, "reason": "vendor account service, reviewed"},
        {"kind": "*", "country": "IN", "reason": "domestic"}])
    j = os.path.join(OUT, "accept-all-report.json")
    rc, out, err = ph(base_args(inp) + ["--accept", a, "--json", j])
    check(rc == 0, "exit %d: %s" % (rc, err))
    rep = json.loads(read(j))
    check(rep["leaks"] and all(l["accepted"] for l in rep["leaks"]), "not every leak accepted")
    check(all(f["accepted"] for f in rep["findings"]), "not every finding accepted")
    check({l["accepted"]["entry"] for l in rep["leaks"] if l["country"] == "CN"} == {1}, "asn entry")
    check({l["accepted"]["entry"] for l in rep["leaks"] if l["country"] == "IN"} == {2}, "country entry")
    check("Verdict: no identifier sent to servers outside India." in out, "verdict:\n%s" % out[-400:])
    check("%d accepted findings, see below" % len(rep["findings"]) in out, "count apart")
    check(not rep["warnings"] or not any("matched nothing" in w for w in rep["warnings"]), "false stale warning")


def bad(name, args, mention, env=None, must_not_exist=()):
    def fn():
        rc, out, err = ph(args, env)
        lines = err.strip().splitlines()
        check(rc == 2, "exit %d, want 2; stderr %r" % (rc, err[:200]))
        check(len(lines) == 1, "want one stderr line, got %r" % lines)
        check(mention in lines[0], "stderr %r does not name %r" % (lines[0], mention))
        for p in must_not_exist:
            check(not os.path.exists(p), "%s was written" % p)
    fn.__name__ = "bad_" + name
    return fn


def _bad_cases():
    os.makedirs(OUT, exist_ok=True)
    afile = os.path.join(OUT, "plain-file")
    with open(afile, "w") as f:
        f.write("x\n")
    inp = fx("redmi1s.pcap")
    j = os.path.join(OUT, "bad-never.json")
    yield bad("outdir_is_file", base_args(inp) + ["-o", afile, "--json", j], afile, must_not_exist=[j])
    yield bad("outdir_parent_missing", base_args(inp) + ["-o", "/nonexistent/ph/out", "--json", j],
              "/nonexistent/ph/out", must_not_exist=[j])
    yield bad("outdir_under_file", base_args(inp) + ["-o", afile + "/sub"], afile + "/sub",
              must_not_exist=[afile + "/sub"])
    yield bad("format_xml", base_args(inp) + ["--format", "xml", "--json", j], "--format", must_not_exist=[j])
    yield bad("eve_unwritable", base_args(inp) + ["--eve", "/nonexistent/ph/e.json", "--json", j],
              "/nonexistent/ph/e.json", must_not_exist=[j])
    yield bad("eve_directory", base_args(inp) + ["--eve", OUT], OUT)
    yield bad("pdf_without_dir", base_args(inp) + ["--pdf"], "--pdf")
    nod = os.path.join(OUT, "report-nochromium")
    yield bad("pdf_no_chromium", base_args(inp) + ["-o", nod, "--pdf"], "apt-get install chromium",
              env={"PATH": "/nonexistent"}, must_not_exist=[nod])
    yield bad("format_md_and_json_stdout", base_args(inp) + ["--format", "md", "--json", "-"], "--format")
    nod = os.path.join(OUT, "report-accept-bad")
    for name, text, why in (
            ("no_reason", '[{"kind": "imei", "host": "x.com", "reason": "r"}, {"kind": "imei", "host": "x.com"}]',
             "entry 2: no reason"),
            ("empty_reason", '[{"kind": "imei", "host": "x.com", "reason": ""}]', "entry 1: no reason"),
            ("malformed", '[{"kind": "imei",', "not JSON"),
            ("unknown_key", '[{"kind": "imei", "host": "x.com", "reason": "r", "until": "2025"}]',
             'entry 1: unknown key "until"'),
            ("bad_country", '[{"kind": "imei", "country": "CHN", "reason": "r"}]', "entry 1: bad country code")):
        path = accept_file("accept-bad-%s.json" % name, text)
        yield bad("accept_" + name, base_args(inp) + ["--accept", path, "-o", nod, "--json", j],
                  "--accept %s: %s" % (path, why), must_not_exist=[j, nod])
    if os.geteuid() != 0:  # root writes through mode bits
        ro = os.path.join(OUT, "readonly")
        os.makedirs(ro, exist_ok=True)
        os.chmod(ro, 0o555)
        yield bad("outdir_readonly", base_args(inp) + ["-o", ro], ro)


def main():
    only = sys.argv[1:]
    cases = CASES + list(_bad_cases())
    shutil.rmtree(ART, ignore_errors=True)
    passed = failed = 0
    for fn in cases:
        if only and not any(o in fn.__name__ for o in only):
            continue
        try:
            fn()
            print("ok %s" % fn.__name__)
            passed += 1
        except Fail as e:
            print("FAIL %s: %s" % (fn.__name__, e))
            failed += 1
        except Exception as e:  # a crash of the test itself is a failure too
            print("FAIL %s: %s: %s" % (fn.__name__, type(e).__name__, e))
            failed += 1
        sys.stdout.flush()
    for d in glob.glob(os.path.join(OUT, "report-*")):
        shutil.rmtree(d, ignore_errors=True)
    print("e2e_report: %d passed, %d failed (artifacts in %s)" % (passed, failed, os.path.relpath(ART, ROOT)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
