#!/usr/bin/env python3
"""Drives gitops-ls and yaml-language-server with the same LSP client on the same files and
writes results.json, results.md and edit-latency.png. Started by scripts/compare.sh, which
prepares the inputs, the servers and the schemas; see BENCHMARKS.md for what is measured."""
import argparse
import json
import math
import os
import platform
import random
import re
import socket
import statistics
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True  # keep the source folder clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lsp import Client, ProtocolError, file_uri, now  # noqa: E402

# yaml-language-server resolves the keyword `kubernetes` to this layout; the client serves the
# two files from disk (vscode/content), so it takes its real Kubernetes path offline.
K8S_BASE = "https://raw.githubusercontent.com/yannh/kubernetes-json-schema/master/{v}-standalone-strict/"

MODES = {
    # runs: fresh processes per server, alternating which goes first
    # words x letters: keystrokes per run; opens: re-opens of the small file after the first
    "full": dict(runs=4, words=10, letters=5, opens=5, hovers=50, completions=50, symbols=3, checks=3, repo_runs=3,
                 rechecks=20, kustomize_opens=3, scan_timeout=600),
    "quick": dict(runs=1, words=2, letters=3, opens=1, hovers=5, completions=5, symbols=2, checks=1, repo_runs=1,
                  rechecks=4, kustomize_opens=1, scan_timeout=120),
}


# The token of the start-up scan's $/progress, and the hover budget while it runs (seconds).
SCAN_TOKEN = "gitops-ls/scan"
HOVER_BUDGET = 0.050


class Failure(Exception):
    pass


def pct(xs, p):
    """Nearest-rank percentile."""
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, math.ceil(p / 100 * len(s)) - 1))]


def ms(seconds):
    return round(seconds * 1000, 3)


class Sentinel:
    """A listener on 127.0.0.1 that both servers get as their HTTP(S) proxy: a connection to it
    means a server tried to reach the network, and the run fails."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.url = "http://127.0.0.1:%d" % self.sock.getsockname()[1]
        self.hits = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.hits += 1
            conn.close()


class Bench:
    def __init__(self, args):
        self.a = args
        self.m = MODES[args.mode]
        self.sentinel = Sentinel()
        self.env = dict(os.environ)
        for k in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
            self.env[k] = self.sentinel.url
        self.env.pop("NO_PROXY", None)
        self.env.pop("no_proxy", None)
        self.env["GITOPS_LS_LOG"] = "info"
        self.k8s_base = K8S_BASE.format(v=args.k8s_version)
        self.rng = random.Random(14)

    # -- servers

    def start(self, name, root, progress=False):
        folders = [{"uri": file_uri(root), "name": os.path.basename(root)}]
        if name == "gitops-ls":
            settings = {"gitops-ls": {"images": {"checkTags": False}}}
            client = Client(name, [self.a.gitops_ls], env=self.env, settings=settings)
            init_options = settings
        else:
            yaml = {
                "schemas": {"kubernetes": "**/*.yaml"},
                "kubernetesVersion": self.a.k8s_version,
                "validate": True,
                "hover": True,
                "completion": True,
                "schemaStore": {"enable": False, "url": ""},
                "format": {"enable": False},
            }
            settings = {"yaml": yaml, "http": {"proxy": self.sentinel.url, "proxyStrictSSL": False}}
            content = {
                self.k8s_base + "all.json": os.path.join(self.a.schemas, "all.json"),
                self.k8s_base + "_definitions.json": os.path.join(self.a.schemas, "_definitions.json"),
            }
            client = Client(name, ["node", self.a.yls, "--stdio"], env=self.env, settings=settings, content=content)
            init_options = None
        caps = {
            "general": {"positionEncodings": ["utf-16"]},
            "workspace": {"configuration": True, "workspaceFolders": True, "didChangeConfiguration": {}},
            "textDocument": {
                "synchronization": {"didSave": False},
                "publishDiagnostics": {"versionSupport": True, "relatedInformation": True},
                "hover": {"contentFormat": ["markdown", "plaintext"]},
                "completion": {"completionItem": {"snippetSupport": True, "documentationFormat": ["markdown"]}},
                "documentSymbol": {"hierarchicalDocumentSymbolSupport": True},
            },
        }
        if progress:
            caps["window"] = {"workDoneProgress": True}
        try:
            client.request(
                "initialize",
                {
                    "processId": os.getpid(),
                    "rootUri": folders[0]["uri"],
                    "workspaceFolders": folders,
                    "capabilities": caps,
                    "initializationOptions": init_options,
                },
            )
            t_init = client.notify("initialized", {})
            if name == "yaml-language-server":
                client.notify("yaml/registerContentRequest", None)
                client.notify("workspace/didChangeConfiguration", {"settings": settings})
        except Exception:
            client.kill()
            raise
        return client, t_init

    def stop(self, client):
        rss = client.peak_rss_kib()
        client.shutdown()
        self.check_clean(client)
        return rss

    def check_clean(self, client):
        if client.problems:
            raise Failure(f"{client.name}: " + "; ".join(client.problems))
        if self.sentinel.hits:
            raise Failure(f"a server tried to reach the network ({self.sentinel.hits} connections to the proxy)")

    # -- the editing scenario, one run of one server

    @staticmethod
    def on_line(params, line):
        return [d for d in params["diagnostics"] if d["range"]["start"]["line"] == line]

    def edit_run(self, name, words):
        small, big = self.a.small, self.a.big
        pos_s = json.load(open(small + ".json"))
        pos_b = json.load(open(big + ".json"))
        text_s = open(small).read()
        text_b = open(big).read()
        root = os.path.dirname(small)
        client, _ = self.start(name, root)
        r = {"opens_small": []}
        try:
            # open -> the diagnostics of the whole file (the one deliberate error in its last
            # document is in them); each open is a new URI so no answer can be mistaken for another
            for k in range(1 + self.m["opens"]):
                uri = file_uri(os.path.join(root, f"open-{k}.yaml"))
                start = len(client.diagnostics)
                t0 = client.notify(
                    "textDocument/didOpen",
                    {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text_s}},
                )
                _, t1, _ = client.wait_diagnostics(
                    lambda p: p["uri"] == uri and self.on_line(p, pos_s["error_line"]),
                    start, 120, f"the diagnostics of open #{k}",
                )
                r["opens_small"].append(t1 - t0)
                client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})

            uri = file_uri(big)
            start = len(client.diagnostics)
            t0 = client.notify(
                "textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text_b}}
            )
            _, t1, p = client.wait_diagnostics(
                lambda p: p["uri"] == uri and self.on_line(p, pos_b["error_line"]), start, 300, "the diagnostics of the big file"
            )
            r["open_big"] = t1 - t0
            probe = pos_b["probe"]
            if not self.token(p, probe["line"]) == probe["key"]:
                raise Failure(f"{name}: no unknown-field diagnostic naming `{probe['key']}` on the probe line")
            r["diagnostics_big"] = len(p["diagnostics"])
            r["messages_big"] = sorted(d["message"] for d in p["diagnostics"])

            # typing: words of `letters` characters typed into the key `zq`, one character every
            # 30-100 ms; after each word the client waits for its diagnostics, then deletes the
            # word (not measured) and waits for those
            keystrokes = self.type_words(client, uri, probe, words)
            r["keystrokes"] = keystrokes

            hov = pos_b["hover"]
            r["hover"] = []
            for k in range(self.m["hovers"]):
                dt, res = client.request(
                    "textDocument/hover", {"textDocument": {"uri": uri}, "position": hov}
                )
                if k == 0 and not (res and res.get("contents")):
                    raise Failure(f"{name}: empty hover on `containerPort`")
                r["hover"].append(dt)
            comp = pos_b["completion"]
            r["completion"] = []
            for k in range(self.m["completions"]):
                dt, res = client.request(
                    "textDocument/completion", {"textDocument": {"uri": uri}, "position": comp}
                )
                items = res.get("items", []) if isinstance(res, dict) else (res or [])
                if k == 0:
                    labels = {i["label"] for i in items}
                    if "livenessProbe" in labels or "workingDir" not in labels:
                        raise Failure(f"{name}: completion in the container lacks its keys: {sorted(labels)[:20]}")
                    r["completion_items"] = len(items)
                r["completion"].append(dt)
            # code actions for the unknown-field diagnostic on the probe line, as an editor asks
            # when the cursor rests there (the text is back to what was opened)
            probe_diags = self.on_line(p, probe["line"])
            r["code_action"] = []
            for k in range(self.m["hovers"]):
                dt, _ = client.request(
                    "textDocument/codeAction",
                    {
                        "textDocument": {"uri": uri},
                        "range": probe_diags[0]["range"],
                        "context": {"diagnostics": probe_diags},
                    },
                )
                r["code_action"].append(dt)
            # documentSymbol answers with megabytes of JSON; the peak before it is the editing one
            r["peak_rss_before_symbols_kib"] = client.peak_rss_kib()
            r["symbols"] = []
            for k in range(self.m["symbols"]):
                dt, res = client.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}}, timeout=300)
                if not res:
                    raise Failure(f"{name}: no document symbols")
                r["symbols"].append(dt)
            r["peak_rss_kib"] = self.stop(client)
        except Exception:
            client.kill()
            raise
        return r

    @staticmethod
    def token(params, line):
        """The key named by the diagnostics on the probe line (`zq` plus what was typed)."""
        found = []
        for d in params["diagnostics"]:
            if d["range"]["start"]["line"] == line:
                found += re.findall(r"\bzq[a-z]*", d["message"])
        return max(found, key=len) if found else None

    def type_words(self, client, uri, probe, words):
        line, col, base = probe["line"], probe["character"], probe["key"]
        version = 1
        sent = []  # (word index, letters typed, version, time)
        published_from = len(client.diagnostics)

        def change(start, end, text):
            nonlocal version
            version += 1
            rng = {"start": {"line": line, "character": start}, "end": {"line": line, "character": end}}
            t = client.notify(
                "textDocument/didChange",
                {"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"range": rng, "text": text}]},
            )
            return version, t

        for w, word in enumerate(words):
            # Taken before the word is typed: its answer may arrive before the last notify returns.
            start = len(client.diagnostics)
            for k, ch in enumerate(word):
                v, t = change(col + k, col + k, ch)
                sent.append((w, k + 1, v, t))
                if k + 1 < len(word):
                    time.sleep(self.rng.uniform(0.030, 0.100))
            client.wait_diagnostics(
                lambda p: p["uri"] == uri and self.token(p, line) == base + word, start, 120, f"the diagnostics of `{base + word}`"
            )
            start = len(client.diagnostics)
            change(col, col + len(word), "")
            client.wait_diagnostics(
                lambda p: p["uri"] == uri and self.token(p, line) == base, start, 120, "the diagnostics after deleting a word"
            )
            time.sleep(self.rng.uniform(0.030, 0.100))

        # Which publication answers each keystroke: the first one after it that names the key as
        # it was after that keystroke or later in the same word. Where the server sends versions,
        # the first one with a version >= the keystroke's must be the same publication.
        pubs = [(t, p) for t, p in client.diagnostics[published_from:] if p["uri"] == uri]
        out = []
        for w, k, v, t in sent:
            word = words[w]
            by_text = by_version = None
            for tp, p in pubs:
                if tp < t:
                    continue
                tok = self.token(p, line)
                if by_text is None and tok and tok.startswith(base) and len(tok) - len(base) >= k and word.startswith(tok[len(base):]):
                    by_text = tp
                if by_version is None and p.get("version") is not None and p["version"] >= v:
                    by_version = tp
                if by_text is not None and (by_version is not None or pubs[0][1].get("version") is None):
                    break
            if by_text is None:
                raise Failure(f"{client.name}: no diagnostics answered keystroke {k} of `{word}`")
            out.append({
                "word": w, "letter": k, "last": k == len(word), "version": v,
                "latency": by_text - t, "latency_by_version": None if by_version is None else by_version - t,
            })
        return out

    # -- gitops-ls alone

    def repo_run(self):
        root = self.a.repo
        files = sum(len(f) for _, _, f in os.walk(root))
        client, t_init = self.start("gitops-ls", root)
        try:
            path = os.path.join(root, "teams", "team-0", "app-0", "deployment.yaml")
            uri = file_uri(path)
            t0 = client.notify(
                "textDocument/didOpen",
                {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": open(path).read()}},
            )
            _, t_diag, _ = client.wait_diagnostics(lambda p: p["uri"] == uri, 0, 120, "the diagnostics of the opened file")
            t_log, scanned, logged = self.scan_line(client, 300)
            res = {
                "files": files,
                "files_scanned": scanned,
                "scan_logged": logged,
                "initialized_to_scan_line": t_log - t_init,
                "open_to_diagnostics": t_diag - t0,
            }
            res["peak_rss_kib"] = self.stop(client)
        except Exception:
            client.kill()
            raise
        return res

    # -- gitops-ls alone: the repository as one system

    @staticmethod
    def scan_event(kind):
        return lambda p: p.get("token") == SCAN_TOKEN and (p.get("value") or {}).get("kind") == kind

    @staticmethod
    def open_doc(client, path, text=None):
        uri = file_uri(path)
        text = open(path).read() if text is None else text
        t = client.notify(
            "textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}}
        )
        return uri, t

    @staticmethod
    def scan_line(client, timeout):
        """The "workspace scanned" log line: (time, files, the scan's own seconds)."""
        t_log, line = client.wait_stderr("workspace scanned", timeout)
        m = re.search(r"files=(\d+)", line)
        e = re.search(r"elapsed=([0-9.]+)(ms|s|µs|us)", line)
        if not m or not e:
            raise Failure(f"gitops-ls: cannot read the scan log line: {line!r}")
        scale = {"ms": 1e-3, "s": 1.0, "µs": 1e-6, "us": 1e-6}[e.group(2)]
        return t_log, int(m.group(1)), float(e.group(1)) * scale

    def recheck_run(self):
        """app-0's ConfigMap renamed and back while its Deployment is open: how soon the
        Deployment's diagnostics gain and lose the dangling reference."""
        root = self.a.repo
        client, _ = self.start("gitops-ls", root, progress=True)
        r = {"steps": [], "kustomize_opens": []}
        try:
            client.wait_progress(self.scan_event("end"), 0, self.m["scan_timeout"], "the end of the scan's $/progress")
            app = os.path.join(root, "teams", "team-0", "app-0")
            name = "app-0-config"

            def dangling(p):
                return [d for d in p["diagnostics"] if d.get("code") == "reference-not-found" and f"`{name}`" in d["message"]]

            start = len(client.diagnostics)
            dep, _ = self.open_doc(client, os.path.join(app, "deployment.yaml"))
            cm_path = os.path.join(app, "configmap.yaml")
            cm_text = open(cm_path).read()
            cm, _ = self.open_doc(client, cm_path, cm_text)
            for uri in (dep, cm):
                _, _, p = client.wait_diagnostics(lambda p: p["uri"] == uri, start, 120, f"the diagnostics of {uri}")
                if dangling(p):
                    raise Failure(f"gitops-ls: {uri} reports ConfigMap `{name}` missing before any change")
            line = cm_text.split("\n").index(f"  name: {name}")
            end = len(f"  name: {name}")
            suffix = "-renamed"

            def span(a, b):
                return {"start": {"line": line, "character": a}, "end": {"line": line, "character": b}}

            version = 1
            for _ in range(self.m["rechecks"]):
                for renamed in (True, False):
                    version += 1
                    edit = {"range": span(end, end), "text": suffix} if renamed else {"range": span(end, end + len(suffix)), "text": ""}
                    start = len(client.diagnostics)
                    t0 = client.notify(
                        "textDocument/didChange", {"textDocument": {"uri": cm, "version": version}, "contentChanges": [edit]}
                    )
                    what = "with" if renamed else "without"
                    i_dep, t_dep, _ = client.wait_diagnostics(
                        lambda p: p["uri"] == dep and bool(dangling(p)) == renamed, start, 60,
                        f"the Deployment's diagnostics {what} the dangling reference (change {version})",
                    )
                    _, t_cm, _ = client.wait_diagnostics(
                        lambda p: p["uri"] == cm and (p.get("version") is None or p["version"] >= version), start, 60,
                        f"the ConfigMap's own diagnostics (version {version})",
                    )
                    # Time for late publications to arrive, so each change's count is complete.
                    time.sleep(self.rng.uniform(0.05, 0.1))
                    dep_pubs = [i for i in range(start, len(client.diagnostics)) if client.diagnostics[i][1]["uri"] == dep]
                    r["steps"].append({
                        "renamed": renamed, "version": version,
                        "deployment": t_dep - t0, "configmap": t_cm - t0,
                        # publications of the Deployment that did not (yet) reflect the change
                        "deployment_stale_before": sum(1 for i in dep_pubs if i < i_dep),
                        "deployment_publications": len(dep_pubs),
                    })

            # A kustomization with a resource entry that names no file, opened in an app of its own.
            for j in range(self.m["kustomize_opens"]):
                path = os.path.join(root, "teams", f"team-{(j + 1) % 20}", f"app-{j + 1}", "kustomization.yaml")
                text = open(path).read().replace("  - configmap.yaml\n", "  - configmap.yaml\n  - missing.yaml\n")
                start = len(client.diagnostics)
                uri, t0 = self.open_doc(client, path, text)
                _, t1, _ = client.wait_diagnostics(
                    lambda p: p["uri"] == uri and any(d.get("code") == "kustomize-missing-path" for d in p["diagnostics"]),
                    start, 60, "kustomize-missing-path on the opened kustomization",
                )
                r["kustomize_opens"].append(t1 - t0)
                client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
            r["files"] = sum(len(f) for _, _, f in os.walk(root))
            r["peak_rss_kib"] = self.stop(client)
        except Exception:
            client.kill()
            raise
        return r

    def big_repo_run(self):
        """A large workspace: one file opened right after `initialized`, hovered on in a loop
        while the start-up scan runs."""
        root = self.a.big_repo
        files = sum(len(f) for _, _, f in os.walk(root))
        client, t_init = self.start("gitops-ls", root, progress=True)
        try:
            path = os.path.join(root, "teams", "team-0", "app-0", "deployment.yaml")
            text = open(path).read()
            lines = text.split("\n")
            n = next(i for i, l in enumerate(lines) if "containerPort:" in l)
            pos = {"line": n, "character": lines[n].index("containerPort") + 3}
            uri, t_open = self.open_doc(client, path, text)
            ended = self.scan_event("end")
            deadline = t_init + self.m["scan_timeout"]
            hovers = []

            def hover():
                t = now()
                dt, res = client.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": pos}, timeout=60)
                return {"sent": t - t_init, "answered": client.last_answer - t_init, "latency": dt,
                        "empty": not (res and res.get("contents"))}

            while not any(ended(p) for _, p in client.progress) and now() < deadline:
                hovers.append(hover())
                time.sleep(0.01)  # an editor's hovers are not back to back; leave the cores to the scan
            try:
                _, t_end, p_end = client.wait_progress(ended, 0, max(0.0, deadline - now()), "the scan's $/progress end")
            except ProtocolError:
                raise Failure(f"gitops-ls: no $/progress end for the scan of {files:,} files in {self.m['scan_timeout']} s")
            scan = t_end - t_init
            during = [h for h in hovers if h["answered"] + t_init <= t_end]
            after = [hover() for _ in range(10)]
            begins = [t for t, p in client.progress if self.scan_event("begin")(p)]
            reports = [t for t, p in client.progress if self.scan_event("report")(p) and t <= t_end]
            _, t_diag, _ = client.wait_diagnostics(lambda p: p["uri"] == uri, 0, 60, "the diagnostics of the opened file")
            t_log, scanned, logged = self.scan_line(client, 60)
            r = {
                "files": files, "files_scanned": scanned, "scan_logged": logged,
                "initialized_to_progress_end": scan,
                "initialized_to_progress_begin": begins[0] - t_init if begins else None,
                "initialized_to_scan_line": t_log - t_init,
                "progress_reports": len(reports),
                "progress_end_message": (p_end.get("value") or {}).get("message"),
                "open_to_diagnostics": t_diag - t_open,
                # latencies only (ms, in order): there are thousands of them
                "hovers_during_scan_ms": [ms(h["latency"]) for h in during],
                "hovers_after_scan_ms": [ms(h["latency"]) for h in after],
                "hovers_empty": sum(1 for h in hovers + after if h["empty"]),
                "hovers_sent_during_scan": sum(1 for h in hovers if h["sent"] + t_init < t_end),
                "hovers_answered_during_scan": len(during),
            }
            if self.a.mode == "full" and len(during) < 2:
                # Too fast to sample: the scan ended within two hovers' budget of the first one.
                first = hovers[0]["sent"] + t_init if hovers else t_end
                if t_end - first > 2 * (HOVER_BUDGET + 0.01):
                    lat = ", ".join(f"{ms(h['latency'])} ms" for h in hovers[:5])
                    raise Failure(f"gitops-ls: {len(during)} hovers answered during a {scan:.2f} s scan (latencies: {lat or 'none'})")
                r["too_fast_to_sample"] = True
            r["peak_rss_kib"] = self.stop(client)
        except Exception:
            client.kill()
            raise
        return r

    def check_run(self):
        cmd = ["/usr/bin/time", "-v", self.a.gitops_ls, "check", self.a.tree]
        p = subprocess.run(cmd, capture_output=True, text=True, env=self.env)
        if p.returncode not in (0, 1):
            raise Failure(f"gitops-ls check exited with {p.returncode}: {p.stderr[-2000:]}")
        wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([0-9.]+)", p.stderr)
        rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
        user = re.search(r"User time \(seconds\): ([0-9.]+)", p.stderr)
        sys_t = re.search(r"System time \(seconds\): ([0-9.]+)", p.stderr)
        if not (wall and rss):
            raise Failure(f"cannot read /usr/bin/time output: {p.stderr[-2000:]}")
        h, mnt, sec = wall.groups()
        seconds = int(h or 0) * 3600 + int(mnt) * 60 + float(sec)
        if self.sentinel.hits:
            raise Failure(f"gitops-ls check tried to reach the network ({self.sentinel.hits} connections to the proxy)")
        last = (p.stdout.strip().splitlines() or [""])[-1]
        return {"wall": seconds, "user": float(user.group(1)), "system": float(sys_t.group(1)),
                "peak_rss_kib": int(rss.group(1)), "exit": p.returncode, "summary": last}

    # -- everything

    def words(self, count, letters):
        out, prev = [], ""
        rng = random.Random(52)
        while len(out) < count:
            w = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(letters))
            if w[0] != prev[:1]:
                out.append(w)
                prev = w
        return out

    def run(self):
        servers = ["gitops-ls", "yaml-language-server"]
        edit = {s: [] for s in servers}
        all_words = self.words(self.m["runs"] * self.m["words"], self.m["letters"])
        for run in range(self.m["runs"]):
            order = servers if run % 2 == 0 else servers[::-1]
            words = all_words[run * self.m["words"]:(run + 1) * self.m["words"]]
            for s in order:
                print(f"run {run + 1}/{self.m['runs']}: {s} ...", flush=True)
                t = now()
                edit[s].append(self.edit_run(s, words))
                print(f"  done in {now() - t:.1f} s", flush=True)
        print("gitops-ls: workspace scan of the repository ...", flush=True)
        repo = [self.repo_run() for _ in range(self.m["repo_runs"])]
        print("gitops-ls: re-check after one file changes ...", flush=True)
        recheck = self.recheck_run()
        print("gitops-ls: the large workspace, hovering while it is scanned ...", flush=True)
        big_repo = self.big_repo_run()
        print("gitops-ls: check on the tree ...", flush=True)
        checks = [self.check_run() for _ in range(self.m["checks"])]
        return {"edit": edit, "repo": repo, "recheck": recheck, "big_repo": big_repo, "check": checks}


def machine():
    model = "unknown"
    with open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem = 0
    with open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) // 1024
    return {"cores": os.cpu_count(), "cpu": model, "memory_mib": mem, "kernel": platform.release(),
            "load_average": [round(x, 2) for x in os.getloadavg()]}


def summarize(raw, args):
    s = {}
    for name, runs in raw["edit"].items():
        keys = [k for r in runs for k in r["keystrokes"]]
        lat = [k["latency"] for k in keys]
        last = [k["latency"] for k in keys if k["last"]]
        opens = [r["opens_small"] for r in runs]
        warm = [x for o in opens for x in o[1:]]
        hover = [x for r in runs for x in r["hover"]]
        comp = [x for r in runs for x in r["completion"]]
        actions = [x for r in runs for x in r["code_action"]]
        sym = [x for r in runs for x in r["symbols"]]
        by_version = [k for k in keys if k["latency_by_version"] is not None]
        s[name] = {
            "open_small_first_ms": ms(statistics.median(o[0] for o in opens)),
            "open_small_again_p50_ms": ms(statistics.median(warm)) if warm else None,
            "open_big_ms": ms(statistics.median(r["open_big"] for r in runs)),
            "edit_samples": len(lat),
            "edit_p50_ms": ms(pct(lat, 50)),
            "edit_p99_ms": ms(pct(lat, 99)),
            "edit_last_samples": len(last),
            "edit_last_p50_ms": ms(pct(last, 50)),
            "edit_last_p99_ms": ms(pct(last, 99)),
            "hover_p50_ms": ms(pct(hover, 50)),
            "hover_p99_ms": ms(pct(hover, 99)),
            "completion_p50_ms": ms(pct(comp, 50)),
            "completion_p99_ms": ms(pct(comp, 99)),
            "completion_items": runs[0]["completion_items"],
            "code_action_p50_ms": ms(pct(actions, 50)),
            "code_action_p99_ms": ms(pct(actions, 99)),
            "symbols_p50_ms": ms(statistics.median(sym)),
            "peak_rss_mib": round(max(r["peak_rss_kib"] for r in runs) / 1024, 1),
            "peak_rss_before_symbols_mib": round(max(r["peak_rss_before_symbols_kib"] for r in runs) / 1024, 1),
            "diagnostics_big": runs[0]["diagnostics_big"],
            "messages_big": runs[0]["messages_big"],
            "versioned_answers": len(by_version),
            "version_and_text_disagree": sum(1 for k in by_version if abs(k["latency_by_version"] - k["latency"]) > 1e-9),
        }
    repo = raw["repo"]
    checks = raw["check"]
    wall = statistics.median(c["wall"] for c in checks)
    s["gitops-ls"].update({
        "repo_files": repo[0]["files"],
        "repo_files_scanned": repo[0]["files_scanned"],
        "repo_scan_logged_ms": ms(statistics.median(r["scan_logged"] for r in repo)),
        "repo_initialized_to_scan_ms": ms(statistics.median(r["initialized_to_scan_line"] for r in repo)),
        "repo_open_to_diagnostics_ms": ms(statistics.median(r["open_to_diagnostics"] for r in repo)),
        "repo_peak_rss_mib": round(max(r["peak_rss_kib"] for r in repo) / 1024, 1),
        **recheck_summary(raw["recheck"]),
        **big_repo_summary(raw["big_repo"]),
        "check_resources": args.tree_resources,
        "check_wall_s": round(wall, 3),
        "check_user_s": round(statistics.median(c["user"] for c in checks), 2),
        "check_system_s": round(statistics.median(c["system"] for c in checks), 2),
        "check_resources_per_s": round(args.tree_resources / wall),
        "check_peak_rss_mib": round(max(c["peak_rss_kib"] for c in checks) / 1024, 1),
        "check_summary": checks[0]["summary"],
    })
    return s


def spread(xs, prefix):
    """p50, p99 and max in ms (None for no samples)."""
    return {f"{prefix}_{k}_ms": (ms(f(xs)) if xs else None)
            for k, f in (("p50", lambda v: pct(v, 50)), ("p99", lambda v: pct(v, 99)), ("max", max))}


def recheck_summary(r):
    steps = r["steps"]
    broken = [x["deployment"] for x in steps if x["renamed"]]
    restored = [x["deployment"] for x in steps if not x["renamed"]]
    return {
        "recheck_files": r["files"],
        "recheck_samples": len(broken),
        **spread(broken, "recheck_break"),
        **spread(restored, "recheck_restore"),
        **spread([x["configmap"] for x in steps], "recheck_own"),
        "recheck_stale_publications": sum(x["deployment_stale_before"] for x in steps),
        "recheck_deployment_publications_max": max(x["deployment_publications"] for x in steps),
        "recheck_kustomize_opens": len(r["kustomize_opens"]),
        "recheck_kustomize_missing_ms": ms(statistics.median(r["kustomize_opens"])) if r["kustomize_opens"] else None,
        "recheck_peak_rss_mib": round(r["peak_rss_kib"] / 1024, 1),
    }


def big_repo_summary(r):
    during = [x / 1000 for x in r["hovers_during_scan_ms"]]
    return {
        "big_files": r["files"],
        "big_files_scanned": r["files_scanned"],
        "big_scan_ms": ms(r["initialized_to_progress_end"]),
        "big_scan_logged_ms": ms(r["scan_logged"]),
        "big_progress_reports": r["progress_reports"],
        "big_hovers_sent_during_scan": r["hovers_sent_during_scan"],
        "big_hovers_answered_during_scan": r["hovers_answered_during_scan"],
        **spread(during, "big_hover_during"),
        "big_hovers_empty": r["hovers_empty"],
        "big_hover_after_p50_ms": pct(r["hovers_after_scan_ms"], 50),
        "big_open_to_diagnostics_ms": ms(r["open_to_diagnostics"]),
        "big_peak_rss_mib": round(r["peak_rss_kib"] / 1024, 1),
        "big_too_fast_to_sample": r.get("too_fast_to_sample", False),
    }


def fmt(x, unit=" ms"):
    if x is None:
        return "n/a"
    if unit == " ms":
        if x >= 100:
            return f"{x:,.0f} ms"
        if x >= 10:
            return f"{x:.1f} ms"
        return f"{x:.2f} ms"
    return f"{x}{unit}"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "n/a"
    r = a / b
    return f"**1/{1 / r:.0f}**" if r < 0.1 else f"**{r:.2f}**"


def three(g, prefix):
    return " / ".join(fmt(g[f"{prefix}_{k}_ms"]) for k in ("p50", "p99", "max"))


def markdown(s, meta):
    g, y = s["gitops-ls"], s["yaml-language-server"]
    lines = [
        f"Machine: {meta['machine']['cores']} cores, {meta['machine']['cpu']}, "
        f"{meta['machine']['memory_mib'] // 1024} GiB; load average {meta['machine']['load_average']} at the start, "
        f"{meta['load_average_end']} at the end. Mode `{meta['mode']}`, {meta['date']}.",
        f"Versions: gitops-ls {meta['gitops_ls_version']}; yaml-language-server {meta['yls_version']} on Node {meta['node_version']}; "
        f"schemas: the embedded Kubernetes {meta['k8s']} schemas of gitops-ls for both.",
        f"Inputs: {meta['small']['lines']:,}-line manifest ({meta['small']['documents']} documents), "
        f"{meta['big']['lines']:,}-line manifest ({meta['big']['documents']} documents, {meta['big']['bytes'] / 1e6:.2f} MB), "
        f"{g['repo_files']:,}-file repository, {g['big_files']:,}-file workspace, {g['check_resources']:,}-resource tree.",
        f"Command: `{meta['command']}`",
        "",
        "| measure | gitops-ls / yaml-language-server | gitops-ls | yaml-language-server | budget (gitops-ls) |",
        "|---|---|---|---|---|",
    ]

    def row(label, key, budget=""):
        lines.append(f"| {label} | {ratio(g[key], y[key])} | {fmt(g[key])} | {fmt(y[key])} | {budget} |")

    def met(ok):
        if meta["mode"] != "full":
            return "not judged on quick inputs"
        return "met" if ok else "**missed**"

    row(f"open → diagnostics, {meta['small']['lines']:,} lines, first open", "open_small_first_ms",
        f"≤ 1/20: {met(g['open_small_first_ms'] * 20 <= y['open_small_first_ms'])}")
    row(f"open → diagnostics, {meta['small']['lines']:,} lines, later opens (p50)", "open_small_again_p50_ms",
        f"≤ 1/20: {met(g['open_small_again_p50_ms'] is not None and y['open_small_again_p50_ms'] is not None and g['open_small_again_p50_ms'] * 20 <= y['open_small_again_p50_ms'])}")
    row(f"open → diagnostics, {meta['big']['lines']:,} lines", "open_big_ms")
    row(f"keystroke → its diagnostics, p50 ({g['edit_samples']} / {y['edit_samples']} keystrokes)", "edit_p50_ms",
        f"< 5 ms: {met(g['edit_p50_ms'] < 5)}")
    row("keystroke → its diagnostics, p99", "edit_p99_ms", f"< 20 ms: {met(g['edit_p99_ms'] < 20)}")
    row(f"last keystroke of a word → diagnostics, p50 ({g['edit_last_samples']} / {y['edit_last_samples']} words)", "edit_last_p50_ms")
    row("last keystroke of a word → diagnostics, p99", "edit_last_p99_ms")
    row("hover, p50", "hover_p50_ms")
    row("hover, p99", "hover_p99_ms", f"< 10 ms: {met(g['hover_p99_ms'] < 10)}")
    row(f"completion, p50 ({g['completion_items']} / {y['completion_items']} items)", "completion_p50_ms")
    row("completion, p99", "completion_p99_ms", f"< 10 ms: {met(g['completion_p99_ms'] < 10)}")
    row("code action on the unknown field, p50", "code_action_p50_ms")
    row("code action on the unknown field, p99", "code_action_p99_ms", f"< 10 ms: {met(g['code_action_p99_ms'] < 10)}")
    row("documentSymbol, whole big file (p50)", "symbols_p50_ms")
    lines.append(f"| peak RSS of the server (VmHWM) | {ratio(g['peak_rss_mib'], y['peak_rss_mib'])} | "
                 f"{g['peak_rss_mib']} MiB | {y['peak_rss_mib']} MiB | |")
    lines.append(f"| peak RSS before the first documentSymbol | {ratio(g['peak_rss_before_symbols_mib'], y['peak_rss_before_symbols_mib'])} | "
                 f"{g['peak_rss_before_symbols_mib']} MiB | {y['peak_rss_before_symbols_mib']} MiB | |")
    lines += [
        "",
        "What each server reported on the big file when it was opened (the same two mistakes):",
        "",
        f"- gitops-ls: {'; '.join(m.replace(chr(10), ' ') for m in g['messages_big'])}",
        f"- yaml-language-server: {'; '.join(m.replace(chr(10), ' ') for m in y['messages_big'])}",
        "",
        "| gitops-ls alone | | budget |",
        "|---|---|---|",
        f"| `check` on {g['check_resources']:,} resources: wall time (median of {meta['checks']}) | "
        f"{g['check_wall_s']} s (user {g['check_user_s']} s, system {g['check_system_s']} s) | |",
        f"| `check` throughput | **{g['check_resources_per_s']:,} resources/s** | ≥ 50,000: {met(g['check_resources_per_s'] >= 50000)} |",
        f"| `check` peak RSS | {g['check_peak_rss_mib']} MiB | < 200 MB: {met(g['check_peak_rss_mib'] * 1.048576 < 200)} |",
        f"| {g['repo_files']:,}-file repository: `initialized` → \"workspace scanned\" log line | {fmt(g['repo_initialized_to_scan_ms'])} "
        f"(the scan itself: {fmt(g['repo_scan_logged_ms'])}, {g['repo_files_scanned']:,} files) | |",
        f"| same repository: open one file → its diagnostics | {fmt(g['repo_open_to_diagnostics_ms'])} | |",
        f"| same repository: peak RSS | {g['repo_peak_rss_mib']} MiB | |",
        f"| same repository, app-0's ConfigMap and Deployment open: rename the ConfigMap → the Deployment's `reference-not-found`, "
        f"p50 / p99 / max ({g['recheck_samples']} renames) | {three(g, 'recheck_break')} | "
        f"< 20 ms (p99): {met(g['recheck_break_p99_ms'] < 20)} |",
        f"| same: rename it back → the Deployment's diagnostics without it, p50 / p99 / max | {three(g, 'recheck_restore')} | "
        f"< 20 ms (p99): {met(g['recheck_restore_p99_ms'] < 20)} |",
        f"| same: the edited ConfigMap's own diagnostics, p50 / p99 / max | {three(g, 'recheck_own')} | |",
        f"| same: Deployment publications that did not yet show the change / most publications per change | "
        f"{g['recheck_stale_publications']} / {g['recheck_deployment_publications_max']} | |",
        f"| same: open a kustomization.yaml with a missing `resources:` entry → `kustomize-missing-path` "
        f"(median of {g['recheck_kustomize_opens']}) | {fmt(g['recheck_kustomize_missing_ms'])} | |",
        f"| {g['big_files']:,}-file workspace: `initialized` → the scan's `$/progress` end | {fmt(g['big_scan_ms'])} "
        f"({g['big_progress_reports']} `report`s; the scan itself: {fmt(g['big_scan_logged_ms'])}, {g['big_files_scanned']:,} files) | |",
        f"| same: hover on a key of the file opened right after `initialized`, during the scan, p50 / p99 / max "
        f"({g['big_hovers_answered_during_scan']} answered during the scan, {g['big_hovers_sent_during_scan']} sent) | "
        f"{three(g, 'big_hover_during')}{' (the scan was too fast to sample)' if g['big_too_fast_to_sample'] else ''} | "
        f"< 50 ms (p99): {met(g['big_hover_during_p99_ms'] is not None and g['big_hover_during_p99_ms'] < 50)} |",
        f"| same: hover after the scan (p50); empty hovers | {fmt(g['big_hover_after_p50_ms'])}; {g['big_hovers_empty']} | |",
        f"| same: open → the file's diagnostics, during the scan | {fmt(g['big_open_to_diagnostics_ms'])} | |",
        f"| same: peak RSS (VmHWM after the scan) | {g['big_peak_rss_mib']} MiB | < 500 MB: {met(g['big_peak_rss_mib'] * 1.048576 < 500)} |",
    ]
    return "\n".join(lines) + "\n"


def plot(raw, out, lines):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    colors = {"gitops-ls": "tab:blue", "yaml-language-server": "tab:orange"}
    for ax, (title, only_last) in zip(axes, [("every keystroke", False), ("last keystroke of a word", True)]):
        for name, runs in raw["edit"].items():
            xs = sorted(k["latency"] * 1000 for r in runs for k in r["keystrokes"] if k["last"] or not only_last)
            ys = [(i + 1) / len(xs) for i in range(len(xs))]
            ax.step(xs, ys, where="post", label=f"{name} (n={len(xs)})", color=colors[name])
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("keystroke → diagnostics that answer it (ms, log scale)")
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(loc="lower right")
    axes[0].set_ylabel("fraction of keystrokes")
    fig.suptitle(f"Edit latency in the middle of a {lines:,}-line manifest, over stdio")
    fig.tight_layout()
    fig.savefig(out, dpi=110)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=MODES, required=True)
    ap.add_argument("--gitops-ls", required=True)
    ap.add_argument("--yls", required=True, help="yaml-language-server's bin script")
    ap.add_argument("--schemas", required=True, help="directory with all.json and _definitions.json")
    ap.add_argument("--k8s-version", required=True, help="e.g. v1.37.0")
    ap.add_argument("--small", required=True)
    ap.add_argument("--big", required=True)
    ap.add_argument("--repo", required=True)
    ap.add_argument("--big-repo", required=True, help="the large workspace for the scan under hovers")
    ap.add_argument("--tree", required=True)
    ap.add_argument("--tree-resources", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--command", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    meta = {
        "mode": args.mode,
        "command": args.command,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": machine(),
        "gitops_ls_version": subprocess.run([args.gitops_ls, "--version"], capture_output=True, text=True, check=True).stdout.strip(),
        "yls_version": json.load(open(os.path.join(os.path.dirname(os.path.dirname(args.yls)), "package.json")))["version"],
        "node_version": subprocess.run(["node", "--version"], capture_output=True, text=True, check=True).stdout.strip(),
        "k8s": args.k8s_version,
        "small": json.load(open(args.small + ".json")),
        "big": json.load(open(args.big + ".json")),
        "checks": MODES[args.mode]["checks"],
        "params": MODES[args.mode],
    }
    try:
        raw = Bench(args).run()
    except (Failure, ProtocolError) as e:
        print(f"compare: FAILED: {e}", file=sys.stderr)
        sys.exit(1)
    meta["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    summary = summarize(raw, args)
    md = markdown(summary, meta)
    with open(os.path.join(args.out, "results.json"), "w") as fh:
        json.dump({"meta": meta, "summary": summary, "raw": raw}, fh, indent=1)
    with open(os.path.join(args.out, "results.md"), "w") as fh:
        fh.write(md)
    plot(raw, os.path.join(args.out, "edit-latency.png"), meta["big"]["lines"])
    print(md)
    print(f"written: {args.out}/results.md, results.json, edit-latency.png")


if __name__ == "__main__":
    main()
