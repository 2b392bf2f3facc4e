"""A hostile sweep over the command line and case files (not a test module: run it by hand).

    PYTHONPATH=$PWD python tests/sweep_bad_inputs.py [--only NAME ...] [--timeout 120] [--json out.json]

Every item writes its case files into a fresh sandbox directory, runs ``python -m hybridsolve`` there
(``describe`` first for case-value items, then ``run``), and is classified as

* ``clear``: refused with a non-zero exit code, one line on stderr naming the key (no traceback),
  and, for case values, refused by ``describe`` as well (before any work);
* ``late``: refused clearly by ``run`` but accepted by ``describe`` (or the other way round);
* ``traceback``: a raw Python traceback on stderr;
* ``silent``: exit code 0 where the input was bad, or a property check failed (strict JSON,
  file modes, stale files, lock, status);
* ``hang``: still running after ``--timeout`` seconds;
* ``outside``: something was written outside ``--out`` (checked on every item, whatever its class).

The subprocesses run under a 6 GB address-space limit, so a huge grid fails instead of swapping.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _strict(text):
    def bad(tok):
        raise ValueError(f"non-JSON token {tok}")

    return json.loads(text, parse_constant=bad)


# -- case file snippets ------------------------------------------------------------------------------------
POISSON = 'kind = "poisson"\n[params]\nproblem = "multiscale_2d"\nn = 16\nmethods = ["direct", "multigrid"]\nmaxiter = 200\n'
DEEP = ('kind = "deep_ritz"\n[params]\nproblem = "paper_1d"\nn = 64\nwidths = [1, 8, 1]\ninit_std = 0.3\n'
        'lr = 1e-2\nsteps = 20\nobserve_every = 10\n')
SHOW = ('kind = "hybrid_showcase"\n[params]\nproblem = "multiscale_1d"\nn = 128\nns = [128]\nwidths = [1, 8, 1]\n'
        'dnn_steps = 40\nsnapshot_every = 20\nrun_limit_s = 2.0\nrepeats = 1\nrun_best = 1\nalternating = false\n')
FIG4 = ('kind = "paper_fig4"\n[params]\nn = 64\nwidths = [1, 8, 1]\ninit_std = 0.5\nlr = 3e-3\nMs = [0, 10]\n'
        'dnn_steps = 20\nobserve_every = 10\njacobi_observe_every = 1000\nalternating = false\n')
ABC = ('kind = "paper_fig4abc"\n[params]\nn = 64\nwidths = [1, 8, 1]\ninit_std = 0.3\nlr = 1e-2\ndnn_steps = 20\n'
       'dnn_observe_every = 10\njacobi_sweeps = 200\njacobi_observe_every = 100\npeaks = "auto"\n')
FP1 = ('kind = "fprinciple_1d"\n[params]\npoints = 41\nwidths = [1, 16, 1]\ninit_std = 0.5\nlr = 5e-3\nepochs = 20\n'
       'observe_every = 10\n')
PROJ = ('kind = "probe_projection"\n[params]\ndatasets = ["fashion-mnist"]\nn_train = 200\nn_test = 100\n'
        'batch_size = 100\nepochs = 1\n')
FILT = ('kind = "probe_filtering"\n[params]\ndatasets = ["fashion-mnist"]\nn_train = 200\nn_test = 100\n'
        'batch_size = 100\nepochs = 1\ndeltas = [3.0]\n')
GEN = ('kind = "probe_generalisation"\n[params]\nn_train = 200\nn_test = 100\nbatch_size = 100\nepochs = 1\n'
       'parity_dim = 6\nparity_train = 20\nparity_widths = [16]\nparity_steps = 20\nn_freqs = 20\n')


def with_(base: str, **params) -> str:
    """``base`` with ``[params]`` keys replaced or added (values as TOML text)."""
    lines = base.splitlines()
    out, seen = [], set()
    for line in lines:
        key = line.split("=", 1)[0].strip()
        if key in params:
            out.append(f"{key} = {params[key]}")
            seen.add(key)
        else:
            out.append(line)
    i = out.index("[params]") + 1
    for k, v in params.items():
        if k not in seen:
            out.insert(i, f"{k} = {v}")
    return "\n".join(out) + "\n"


def top(base: str, text: str) -> str:
    """``text`` (top-level keys) put before ``base``'s tables."""
    return text + "\n" + base


# -- the items ---------------------------------------------------------------------------------------------
def items():
    """(name, files {relpath: text|bytes}, run argv (``{out}``/``{sb}`` placeholders), key the message must
    name (None: a clean run is expected, ``check`` decides), check(sb, out, proc) -> problem or None)."""
    I = []

    def case(name, text, key, *extra, check=None):
        I.append((name, {"c.toml": text}, ["run", "c.toml", "--out", "{out}", *extra], key, check))

    # values that are of the right type but not allowed
    case("poisson n=-4", with_(POISSON, n=-4), "n")
    case("poisson n=0", with_(POISSON, n=0), "n")
    case("poisson maxiter=-10", with_(POISSON, maxiter=-10), "maxiter")
    case("poisson rtol=-1", with_(POISSON, rtol=-1.0), "rtol")
    case("poisson rtol=nan", with_(POISSON, rtol="nan"), "rtol")
    case("poisson methods=[]", with_(POISSON, methods="[]"), "methods")
    case("poisson methods duplicated", with_(POISSON, methods='["direct", "direct"]'), "methods")
    case("poisson bad option value after a good method",
         with_(POISSON, methods='["direct", "multigrid"]') + '[params.options.multigrid]\ncycle = "X"\n', "cycle")
    case("poisson unknown option name", with_(POISSON, methods='["direct", "jacobi"]') + '[params.options.jacobi]\nomgea = 1.0\n',
         "omgea")
    case("poisson jacobi omega=3", with_(POISSON, methods='["direct", "jacobi"]') + '[params.options.jacobi]\nomega = 3.0\n',
         "omega")
    case("poisson huge n (memory)", with_(POISSON, n=10**6), "n")
    case("deep_ritz n=-4", with_(DEEP, n=-4), "n")
    case("deep_ritz lr=-1", with_(DEEP, lr=-1.0), "lr")
    case("deep_ritz lr=inf", with_(DEEP, lr="inf"), "lr")
    case("deep_ritz activation=swish", with_(DEEP, activation='"swish"'), "activation")
    case("deep_ritz widths=[1,0,1]", with_(DEEP, widths="[1, 0, 1]"), "widths")
    case("deep_ritz widths=[2,8,1] on a 1-D problem", with_(DEEP, widths="[2, 8, 1]"), "widths")
    case("deep_ritz widths=[]", with_(DEEP, widths="[]"), "widths")
    case("deep_ritz dtype=float16", with_(DEEP, dtype='"float16"'), "dtype")
    case("deep_ritz init_std=-1", with_(DEEP, init_std=-1.0), "init_std")
    case("deep_ritz beta=-1", with_(DEEP, beta=-1.0), "beta")
    case("deep_ritz batch_size=0", with_(DEEP, batch_size=0), "batch_size")
    case("deep_ritz target_error=-1", with_(DEEP, target_error=-1.0), "target_error")
    case("deep_ritz problem=nope", with_(DEEP, problem='"nope"'), "problem")
    case("deep_ritz seed=-1", with_(DEEP, seed=-1), "seed")
    case("deep_ritz steps=-5", with_(DEEP, steps=-5), "steps")
    case("showcase snapshot_every=0", with_(SHOW, snapshot_every=0), "snapshot_every")
    case("showcase repeats=0", with_(SHOW, repeats=0), "repeats")
    case("showcase run_best=-2", with_(SHOW, run_best=-2), "run_best")
    case("showcase ns=[]", with_(SHOW, ns="[]"), "ns")
    case("showcase problem=smooth_2d", with_(SHOW, problem='"smooth_2d"'), "problem")
    case("showcase omega=2.5", with_(SHOW, omega=2.5), "omega")
    case("showcase run_limit_s=-1", with_(SHOW, run_limit_s=-1.0), "run_limit_s")
    case("showcase activation=swish", with_(SHOW, activation='"swish"'), "activation")
    case("fig4 Ms=[-5]", with_(FIG4, Ms="[-5, 10]"), "Ms")
    case("fig4 target_error=0", with_(FIG4, target_error=0.0), "target_error")
    case("fig4 patience=-1", with_(FIG4, patience=-1.0), "patience")
    case("fig4 omega=0", with_(FIG4, omega=0.0), "omega")
    case("fig4 loss=l1", with_(FIG4, loss='"l1"'), "loss")
    case("fig4abc jacobi_sweeps=-1", with_(ABC, jacobi_sweeps=-1), "jacobi_sweeps")
    case("fig4abc peaks=[-1]", with_(ABC, peaks="[-1]"), "peaks")
    case("fig4abc threshold=-0.1", with_(ABC, threshold=-0.1), "threshold")
    case("fig4abc basis=fft", with_(ABC, basis='"fft"'), "basis")
    case("fprinciple points=2", with_(FP1, points=2), "points")
    case("fprinciple frequencies=[]", with_(FP1, frequencies="[]"), "frequencies")
    case("fprinciple epochs=-1", with_(FP1, epochs=-1), "epochs")
    case("fprinciple widths=[1,8,2]", with_(FP1, widths="[1, 8, 2]"), "widths")
    case("projection datasets=[]", with_(PROJ, datasets="[]"), "datasets")
    case("projection n_test=-1", with_(PROJ, n_test=-1), "n_test")
    case("projection model=resnet", with_(PROJ, model='"resnet"'), "model")
    case("projection max_peaks=0", with_(PROJ, max_peaks=0), "max_peaks")
    case("projection data_dir missing", with_(PROJ, data_dir='"/nonexistent/data"'), "data_dir")
    case("filtering deltas=[]", with_(FILT, deltas="[]"), "deltas")
    case("generalisation parity_dim=0", with_(GEN, parity_dim=0), "parity_dim")
    case("generalisation parity_dim=40", with_(GEN, parity_dim=40), "parity_dim")
    case("generalisation n_freqs=0", with_(GEN, n_freqs=0), "n_freqs")
    # the file itself
    for label, name in (("name ../../x", "../../escaped"), ("name absolute", "/tmp/hybridsolve_sweep_abs"),
                        ("name empty", ""), ("name with a separator", "a/b")):
        I.append((label + " (default out: results/<name>)", {"c.toml": top(POISSON, f'name = "{name}"')},
                  ["run", "c.toml"], "name", None))
    case("kind missing", POISSON.replace('kind = "poisson"\n', ""), "kind")
    case("kind not a string", POISSON.replace('kind = "poisson"', "kind = 5"), "kind")
    case("params not a table", 'kind = "poisson"\nparams = 5\n', "params")
    case("invalid TOML", 'kind = "poisson"\n[params\nn = 4\n', "TOML")
    case("empty file", "", "kind")
    I.append(("binary case file", {"c.toml": bytes(range(256)) * 4}, ["run", "c.toml", "--out", "{out}"], "c.toml", None))
    I.append(("case path is a directory", {"d.toml/x": "x"}, ["run", "d.toml", "--out", "{out}"], "d.toml", None))
    I.append(("binary .toml in a listed folder", {"cases_dir/good.toml": POISSON, "cases_dir/bad.toml": b"\xff\xfe\x00\x01" * 64},
              ["list", "--dir", "cases_dir"], None, _check_list_marks_bad))
    # --set values (typed right, not allowed)
    I.append(("--set params.n=-4", {"c.toml": POISSON}, ["run", "c.toml", "--out", "{out}", "--set", "params.n=-4"], "n", None))
    I.append(("--set params.lr=-1 (deep_ritz)", {"c.toml": DEEP}, ["run", "c.toml", "--out", "{out}", "--set", "params.lr=-1"],
              "lr", None))
    I.append(("--set params.activation=swish", {"c.toml": DEEP},
              ["run", "c.toml", "--out", "{out}", "--set", "params.activation=swish"], "activation", None))
    I.append(("--set params.methods=[]", {"c.toml": POISSON}, ["run", "c.toml", "--out", "{out}", "--set", "params.methods=[]"],
              "methods", None))
    # the results directory
    I.append(("--out is a file", {"c.toml": POISSON, "afile": "x"}, ["run", "c.toml", "--out", "{sb}/afile"], "afile", None))
    I.append(("--out under a file", {"c.toml": POISSON, "afile": "x"}, ["run", "c.toml", "--out", "{sb}/afile/sub"], "afile", None))
    I.append(("--out unwritable", {"c.toml": POISSON}, ["run", "c.toml", "--out", "/sys/hybridsolve_sweep_out"],
              "hybridsolve_sweep_out", None))
    I.append(("--out empty string", {"c.toml": POISSON}, ["run", "c.toml", "--out", ""], "out", None))
    I.append(("re-run into a finished directory", {"c.toml": POISSON}, ["run", "c.toml", "--out", "{out}"], "{out}",
              None, "twice"))
    I.append(("re-run with --force leaves no stale figure", {"c.toml": POISSON, "c2.toml": with_(POISSON, methods='["direct"]')},
              ["run", "c.toml", "--out", "{out}"], None, _check_force_clears, "force"))
    I.append(("run into a directory locked by a live process", {"c.toml": POISSON},
              ["run", "c.toml", "--out", "{out}"], "lock", None, "locked"))
    I.append(("--resume of a kind that cannot resume / nothing to resume", {"c.toml": POISSON},
              ["run", "c.toml", "--out", "{out}", "--resume"], "resume", None))
    I.append(("describe a missing case", {}, ["describe", "no_such_case_xyz"], "no_such_case_xyz", None))
    # interrupts (a real signal to a real run)
    long_dr = with_(DEEP, widths="[1, 16, 16, 1]", steps=4000, observe_every=20, dtype='"float64"')
    for sig in ("SIGINT", "SIGTERM"):
        I.append((f"{sig} during deep_ritz keeps history, checkpoint, status", {"c.toml": long_dr},
                  ["run", "c.toml", "--out", "{out}"], None, _check_interrupted, sig))
    I.append(("SIGKILL, then describe --out says killed", {"c.toml": long_dr}, ["run", "c.toml", "--out", "{out}"], None,
              _check_killed, "SIGKILL"))
    I.append(("--resume after SIGINT continues (fprinciple_1d), same records",
              {"c.toml": with_(FP1, epochs=3000, widths="[1, 32, 1]", dtype='"float64"')},
              ["run", "c.toml", "--out", "{out}"], None, _check_resume_same, "SIGINT"))
    # clean runs whose outputs are checked
    I.append(("summary.json is strict JSON (a diverging Jacobi)",
              {"c.toml": with_(POISSON, methods='["jacobi"]', maxiter=5000) + '[params.options.jacobi]\nomega = 1.9\n'},
              ["run", "c.toml", "--out", "{out}"], None, _check_strict_json))
    I.append(("files respect the umask", {"c.toml": POISSON}, ["run", "c.toml", "--out", "{out}"], None, _check_modes))
    I.append(("default out goes to results/<name>", {"c.toml": POISSON}, ["run", "c.toml"], None, _check_default_out))
    return [(*it, None) if len(it) == 5 else it for it in I]


# -- checks ------------------------------------------------------------------------------------------------
def _check_list_marks_bad(sb, out, proc):
    if proc.returncode != 0 or "Traceback" in proc.stderr:
        return "list crashed"
    bad = [l for l in proc.stdout.splitlines() if "bad.toml" in l]
    if not bad or "INVALID" not in bad[0]:
        return "bad.toml not reported as invalid"
    return None


def _check_strict_json(sb, out, proc):
    s = Path(out) / "summary.json"
    if not s.exists():
        return "no summary.json"
    try:
        _strict(s.read_text())
    except ValueError as exc:
        return f"summary.json not strict JSON: {exc}"
    return None


def _check_modes(sb, out, proc):
    if proc.returncode != 0:
        return f"run failed: {proc.stderr[-300:]}"
    bad = [f"{p.name}:{oct(p.stat().st_mode & 0o777)}" for p in Path(out).iterdir()
           if p.is_file() and (p.stat().st_mode & 0o777) != 0o644]
    return f"modes not 0644 under umask 022: {bad}" if bad else None


def _check_default_out(sb, out, proc):
    if proc.returncode != 0:
        return f"run failed: {proc.stderr[-300:]}"
    return None if (Path(sb) / "results" / "c" / "summary.json").exists() else "no results/c/summary.json"


def _check_force_clears(sb, out, proc):
    if proc.returncode != 0:
        return f"first run failed: {proc.stderr[-300:]}"
    r = _run(["run", "c2.toml", "--out", str(out), "--force"], sb, 120)
    if r.returncode != 0:
        return f"--force run failed: {r.stderr.strip()[-300:]}"
    cfg = (Path(out) / "config.toml").read_text()
    h = json.loads((Path(out) / "history.json").read_text())
    phases = {rec["phase"] for rec in h["records"]}
    if phases != {"direct"}:
        return f"stale records after --force: phases {sorted(phases)}"
    return None if "multigrid" not in cfg.split("methods")[1].split("\n")[0] else "stale config"


def _check_interrupted(sb, out, proc):
    s = Path(out) / "summary.json"
    doc = json.loads(s.read_text()) if s.exists() else {}
    problems = []
    if doc.get("status") != "interrupted":
        problems.append(f"status {doc.get('status')!r}")
    for f in ("history.json", "checkpoint.pt"):
        if not (Path(out) / f).exists():
            problems.append(f"no {f}")
    return "; ".join(problems) or None


def _check_killed(sb, out, proc):
    r = _run(["describe", "--out", str(out)], sb, 120)
    text = (r.stdout + r.stderr).strip()
    return None if (r.returncode == 0 and "killed" in r.stdout) else \
        f"describe --out: rc {r.returncode}, {text.splitlines()[-1] if text else ''}"


def _check_resume_same(sb, out, proc):
    r = _run(["run", "c.toml", "--out", str(out), "--resume"], sb, 300)
    if r.returncode != 0:
        return f"--resume failed: {r.stderr.strip()[-200:]}"
    doc = json.loads((Path(out) / "summary.json").read_text())
    if "resumed_at_epoch" not in doc:
        return "the resumed run started again from epoch 0"
    ref = Path(sb) / "ref"
    _run(["run", "c.toml", "--out", str(ref)], sb, 300)
    a = json.loads((Path(out) / "history.json").read_text())["records"]
    b = json.loads((ref / "history.json").read_text())["records"]
    strip = lambda rs: [(x["phase"], x["step"], json.dumps(x["data"], sort_keys=True)) for x in rs]  # noqa: E731
    return None if strip(a) == strip(b) else "records differ from an uninterrupted run"


def _signalled_run(argv, sb, out, sig, timeout):
    """Start the run, wait until it has saved something (history.json, at most 40 s), send ``sig``."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "ignore", "OMP_NUM_THREADS": "1"}
    p = subprocess.Popen([sys.executable, "-m", "hybridsolve", "-q", *argv], cwd=sb, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=env, preexec_fn=_limit)
    t0 = time.monotonic()
    while time.monotonic() - t0 < 40 and p.poll() is None and not (Path(out) / "history.json").exists():
        time.sleep(0.02)
    time.sleep(0.5)
    p.send_signal(getattr(signal, sig))
    try:
        so, se = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        so, se = p.communicate()
        p.returncode = None
    return subprocess.CompletedProcess(p.args, p.returncode, so, se)


# -- running -----------------------------------------------------------------------------------------------
def _limit():
    resource.setrlimit(resource.RLIMIT_AS, (6 << 30, 6 << 30))
    os.setsid()


def _run(argv, cwd, timeout):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "ignore", "OMP_NUM_THREADS": "1"}
    try:
        return subprocess.run([sys.executable, "-m", "hybridsolve", "-q", *argv], cwd=cwd, capture_output=True,
                              text=True, timeout=timeout, env=env, preexec_fn=_limit)
    except subprocess.TimeoutExpired as exc:
        exc.returncode = None
        exc.stdout = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        exc.stderr = exc.stderr.decode() if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        return exc


def _tree(d: Path, skip: Path):
    out = set()
    for p in d.rglob("*"):
        if skip == p or skip in p.parents or "__pycache__" in p.parts:
            continue
        out.add(str(p.relative_to(d)))
    return out


def _refused(proc, key) -> tuple[bool, str]:
    err = proc.stderr.strip()
    if proc.returncode is None:
        return False, "hang"
    if "Traceback" in err:
        return False, "traceback"
    if proc.returncode == 0:
        return False, "accepted"
    lines = [l for l in err.splitlines() if l.strip()]
    if len(lines) != 1 or key.lower() not in lines[0].lower():
        return False, "unclear"
    return True, "clear"


def classify(item, timeout):
    name, files, argv, key, check, mode = item
    sb = Path(tempfile.mkdtemp(prefix="hs_sweep_"))
    out = sb / "out" if "--out" in argv or argv[0] != "run" else sb / "results" / Path(argv[1]).stem
    for rel, text in files.items():
        p = sb / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        (p.write_bytes if isinstance(text, bytes) else p.write_text)(text)
    fill = lambda a: [x.replace("{out}", str(out)).replace("{sb}", str(sb)) for x in a]  # noqa: E731
    argv = fill(argv)
    key = None if key is None else fill([key])[0]
    abs_target = Path("/tmp/hybridsolve_sweep_abs")
    escaped = sb.parent / "escaped"
    for t in (abs_target, escaped):
        shutil.rmtree(t, ignore_errors=True)
    notes = []
    keeper = None
    if mode == "twice" or mode == "locked":
        first = _run(["run", "c.toml", "--out", str(out)], sb, timeout)
        if first.returncode != 0:
            notes.append(f"first run failed rc={first.returncode}")
        if mode == "locked":
            # a live process that holds the directory: write the lock file a run would write
            keeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
            (out / ".lock").write_text(json.dumps({"pid": keeper.pid, "host": os.uname().nodename}))
            s = out / "summary.json"
            doc = json.loads(s.read_text()) if s.exists() else {}
            doc.update(status="running", pid=keeper.pid)
            s.write_text(json.dumps(doc))
    before = _tree(sb, out)
    t0 = time.perf_counter()
    desc = None
    raw_out = item[2][item[2].index("--out") + 1] if "--out" in item[2] else None
    if argv[0] == "run" and key is not None and not mode and argv[1].endswith(".toml") and raw_out == "{out}" \
            and "resume" != key:
        dargs = ["describe", argv[1]] + [a for i, a in enumerate(argv) if argv[i - 1] == "--set" or a == "--set"]
        desc = _run(dargs, sb, timeout)
    proc = _signalled_run(argv, sb, out, mode, timeout) if mode in ("SIGINT", "SIGTERM", "SIGKILL") else \
        _run(argv, sb, timeout)
    secs = time.perf_counter() - t0
    if keeper is not None:
        keeper.kill()
        keeper.wait()
    after = _tree(sb, out)
    ancestors = {str(a.relative_to(sb)) for a in Path(out).parents if sb in a.parents}
    outside = sorted(after - before - {str(Path(out).relative_to(sb))} - ancestors)
    if abs_target.exists():
        outside.append(str(abs_target))
        shutil.rmtree(abs_target, ignore_errors=True)
    if escaped.exists():
        outside.append(str(escaped))
        shutil.rmtree(escaped, ignore_errors=True)
    if proc.returncode is None:
        cls = "hang"
    elif key is not None:
        ok, why = _refused(proc, key)
        if ok and desc is not None:
            dok, dwhy = _refused(desc, key)
            cls = "clear" if dok else ("late" if dwhy in ("accepted",) else dwhy if dwhy == "traceback" else "late")
        elif ok:
            cls = "clear"
        else:
            cls = {"traceback": "traceback", "accepted": "silent", "unclear": "unclear"}.get(why, why)
    else:
        if "Traceback" in proc.stderr and mode not in ("SIGINT", "SIGTERM", "SIGKILL"):
            cls = "traceback"
        else:
            problem = check(sb, out, proc) if check else (None if proc.returncode == 0 else "failed")
            if mode in ("SIGINT", "SIGTERM", "SIGKILL") and "Traceback" in proc.stderr:
                problem = (problem + "; " if problem else "") + "traceback on the signal"
            cls = "silent" if problem else "ok"
            if problem:
                notes.append(problem)
    if outside:
        notes.append(f"outside --out: {outside[:4]}")
    last = (proc.stderr or "").strip().splitlines()[-1:] if proc.stderr else []
    shutil.rmtree(sb, ignore_errors=True)
    return {"name": name, "class": cls, "outside": bool(outside), "rc": proc.returncode, "seconds": round(secs, 1),
            "describe_rc": None if desc is None else desc.returncode, "message": last[0][:240] if last else "",
            "notes": notes}


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", nargs="*", default=None)
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--json", default=None)
    a = ap.parse_args(argv)
    results = []
    for it in items():
        if a.only and not any(o in it[0] for o in a.only):
            continue
        r = classify(it, a.timeout)
        results.append(r)
        print(f"{r['class']:9s} {'OUT ' if r['outside'] else ''}{r['seconds']:6.1f}s  {r['name']}: {r['message']}"
              + (f"  [{'; '.join(r['notes'])}]" if r["notes"] else ""), flush=True)
    counts = {}
    for r in results:
        counts[r["class"]] = counts.get(r["class"], 0) + 1
    counts["writes outside --out"] = sum(r["outside"] for r in results)
    print(json.dumps({"items": len(results), **counts}))
    if a.json:
        Path(a.json).write_text(json.dumps({"counts": counts, "results": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
