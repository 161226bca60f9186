"""A small LSP client over stdio: Content-Length framing, one reader thread per stream.

Every message is time-stamped when its last byte has been read, so a latency is the time from
writing a message to having the whole answer. Requests from the server are answered on the
reader thread at once (configuration, schema content, registrations); anything unexpected is
recorded in `problems`, and the benchmark fails on it.
"""
import io
import json
import os
import subprocess
import threading
import time

now = time.perf_counter


class ProtocolError(Exception):
    pass


class Client:
    def __init__(self, name, cmd, env=None, settings=None, content=None):
        self.name = name
        self.settings = settings or {}  # section -> value, for workspace/configuration
        self.content = content or {}  # URL -> file, for yaml-language-server's vscode/content
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, bufsize=0
        )
        self.cond = threading.Condition()
        self.write_lock = threading.Lock()
        self.responses = {}  # id -> (time, message)
        self.diagnostics = []  # (time, params) of every publishDiagnostics, in arrival order
        self.progress = []  # (time, params) of every $/progress, in arrival order
        self.stderr = []  # (time, line)
        self.problems = []
        self.served = []  # URLs served through vscode/content
        self.next_id = 0
        self.last_answer = None  # when the last response of request() was read
        self.closed = False
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    # -- writing

    def _send(self, msg):
        body = json.dumps(msg, separators=(",", ":")).encode()
        data = b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
        with self.write_lock:
            t = now()
            try:
                self.proc.stdin.write(data)
                self.proc.stdin.flush()
            except (BrokenPipeError, OSError) as e:
                raise ProtocolError(f"{self.name}: cannot write to the server: {e}") from e
        return t

    def notify(self, method, params):
        """Sends a notification; returns the time it was written."""
        return self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, method, params, timeout=60.0):
        """Sends a request and waits for its response; returns (seconds, result)."""
        with self.cond:
            self.next_id += 1
            rid = self.next_id
        t = self._send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        deadline = t + timeout
        with self.cond:
            while rid not in self.responses:
                left = deadline - now()
                if left <= 0 or self.closed:
                    why = "exited" if self.closed else f"no answer in {timeout:.0f} s"
                    raise ProtocolError(f"{self.name}: {method}: {why}")
                self.cond.wait(left)
            t_answer, msg = self.responses.pop(rid)
            self.last_answer = t_answer
        if "error" in msg:
            raise ProtocolError(f"{self.name}: {method} failed: {msg['error']}")
        return t_answer - t, msg.get("result")

    # -- waiting for diagnostics

    def wait_diagnostics(self, pred, start, timeout, what):
        """Waits for a publishDiagnostics at index >= start for which pred(params) holds;
        returns (index, time, params)."""
        return self._wait(self.diagnostics, pred, start, timeout, what)

    def wait_progress(self, pred, start, timeout, what):
        """As wait_diagnostics, for $/progress notifications."""
        return self._wait(self.progress, pred, start, timeout, what)

    def _wait(self, seen, pred, start, timeout, what):
        deadline = now() + timeout
        i = start
        with self.cond:
            while True:
                while i < len(seen):
                    t, params = seen[i]
                    if pred(params):
                        return i, t, params
                    i += 1
                left = deadline - now()
                if left <= 0 or self.closed:
                    why = "the server exited" if self.closed else f"none in {timeout:.0f} s"
                    raise ProtocolError(f"{self.name}: waiting for {what}: {why}")
                self.cond.wait(left)

    def wait_stderr(self, needle, timeout):
        deadline = now() + timeout
        i = 0
        with self.cond:
            while True:
                while i < len(self.stderr):
                    if needle in self.stderr[i][1]:
                        return self.stderr[i]
                    i += 1
                left = deadline - now()
                if left <= 0 or self.closed:
                    raise ProtocolError(f"{self.name}: no log line {needle!r} in {timeout:.0f} s")
                self.cond.wait(left)

    # -- reading

    def _read(self):
        # Buffered, so a header line is one read and a body of many megabytes is not copied
        # chunk by chunk.
        out = io.BufferedReader(self.proc.stdout, 1 << 20)
        try:
            while True:
                length = None
                while True:
                    line = out.readline()
                    if not line:
                        return
                    line = line.strip()
                    if not line:
                        break
                    name, _, value = line.partition(b":")
                    if name.lower() == b"content-length":
                        length = int(value)
                if length is None:
                    self._problem("a message without Content-Length")
                    return
                body = out.read(length)
                if len(body) < length:
                    return
                t = now()
                self._dispatch(t, json.loads(body))
        except Exception as e:  # a broken stream is a failure of the run, never a hang
            self._problem(f"reading the server's output failed: {e!r}")
        finally:
            with self.cond:
                self.closed = True
                self.cond.notify_all()

    def _read_stderr(self):
        for raw in self.proc.stderr:
            with self.cond:
                self.stderr.append((now(), raw.decode(errors="replace").rstrip("\n")))
                self.cond.notify_all()

    def _problem(self, text):
        with self.cond:
            self.problems.append(text)
            self.cond.notify_all()

    def _dispatch(self, t, msg):
        method = msg.get("method")
        if method is None:
            with self.cond:
                self.responses[msg.get("id")] = (t, msg)
                self.cond.notify_all()
        elif "id" in msg:
            self._answer(msg)
        elif method == "textDocument/publishDiagnostics":
            with self.cond:
                self.diagnostics.append((t, msg["params"]))
                self.cond.notify_all()
        elif method == "$/progress":
            with self.cond:
                self.progress.append((t, msg["params"]))
                self.cond.notify_all()
        elif method == "window/showMessage" and msg["params"].get("type") == 1:
            self._problem(f"error shown to the user: {msg['params'].get('message')}")
        # Other notifications (logMessage, telemetry) carry nothing we measure.

    def _answer(self, msg):
        method, params, result, error = msg["method"], msg.get("params"), None, None
        if method == "workspace/configuration":
            result = [self.settings.get(item.get("section") or "", None) for item in params["items"]]
        elif method == "vscode/content":
            url = params[0] if isinstance(params, list) else params
            self.served.append(url)
            path = self.content.get(url.split("#")[0])
            if path is None:
                self._problem(f"asked for schema content that is not local: {url}")
                error = {"code": -32603, "message": f"not available offline: {url}"}
            else:
                with open(path) as fh:
                    result = fh.read()
        elif method in (
            "client/registerCapability",
            "client/unregisterCapability",
            "window/workDoneProgress/create",
            "workspace/codeLens/refresh",
            "workspace/diagnostic/refresh",
            "workspace/semanticTokens/refresh",
            "workspace/inlayHint/refresh",
        ):
            result = None
        else:
            self._problem(f"unexpected request from the server: {method}")
            error = {"code": -32601, "message": f"not supported: {method}"}
        reply = {"jsonrpc": "2.0", "id": msg["id"]}
        reply.update({"error": error} if error else {"result": result})
        try:
            self._send(reply)
        except ProtocolError as e:
            self._problem(str(e))

    # -- lifecycle

    def peak_rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        raise ProtocolError(f"{self.name}: no VmHWM in /proc/{self.proc.pid}/status")

    def shutdown(self, timeout=30.0):
        self.request("shutdown", None, timeout=timeout)
        self.notify("exit", None)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise ProtocolError(f"{self.name}: still running {timeout:.0f} s after exit")
        if code != 0:
            raise ProtocolError(f"{self.name}: exited with {code} after shutdown")

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def file_uri(path):
    return "file://" + os.path.abspath(path)
