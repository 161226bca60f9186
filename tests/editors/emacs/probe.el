;;; probe.el --- drive gitops-ls from Eglot and record what it does  -*- lexical-binding: t; -*-

;; Usage: PROBE_OUT=out.json emacs --batch -l init.el -l probe.el FILE
;; init.el is the user's configuration (the docs' Emacs 28 snippet).  Visits
;; FILE, lets that configuration start Eglot, edits the buffer, and writes the
;; observations as JSON for tests/editors/check.py.  Run without -Q so that
;; Debian's site files make elpa-eglot and elpa-yaml-mode available.

;;; Code:

(require 'cl-lib)
(require 'json)
(unless (require 'eglot nil t)
  (package-initialize)
  (require 'eglot))

(defvar probe-timeout 10 "Seconds to wait for each server answer.")
(require 'lisp-mnt)
(defvar probe-obs
  (list :editor (format "emacs %s, eglot %s" emacs-version
                        (or (ignore-errors (lm-version (locate-library "eglot.el"))) "?"))
        :errors []))
(defvar probe-published nil "Diagnostics of every publishDiagnostics for our file, newest first.")
(defvar probe-uri nil)

(defun probe-put (key value) (setq probe-obs (plist-put probe-obs key value)))
(defun probe-error (msg) (probe-put :errors (vconcat (plist-get probe-obs :errors) (list msg))))

(defun probe-finish ()
  (with-temp-file (getenv "PROBE_OUT")
    (insert (json-serialize probe-obs :null-object nil :false-object :json-false)))
  (kill-emacs 0))

(defun probe-wait (pred)
  "Process server output until PRED is non-nil or `probe-timeout' passes."
  (let ((end (+ (float-time) probe-timeout)))
    (while (and (not (funcall pred)) (< (float-time) end))
      (accept-process-output nil 0.05))
    (funcall pred)))

;; Keep every diagnostic the server publishes for our document, raw.
(advice-add 'eglot-handle-notification :before
            (lambda (_server method &rest params)
              (when (and (eq method 'textDocument/publishDiagnostics)
                         (equal (plist-get params :uri) probe-uri))
                (push (plist-get params :diagnostics) probe-published))))

(defun probe-diagnostics-after (seen pred)
  "Diagnostics of the newest publish after the SEEN-th one, once PRED accepts them."
  (probe-wait (lambda () (and (> (length probe-published) seen)
                              (funcall pred (car probe-published)))))
  (if (> (length probe-published) seen) (car probe-published) :null))

(defun probe-duplicate-on (line)
  (lambda (diags)
    (cl-some (lambda (d)
               (and (= (plist-get (plist-get (plist-get d :range) :start) :line) line)
                    (string-match-p "duplicate" (downcase (plist-get d :message)))))
             diags)))

(defun probe-request (server method params)
  (condition-case err
      (or (jsonrpc-request server method params :timeout probe-timeout) :null)
    (error (list :error (format "%S" err)))))

(defun probe-goto-line (n)
  (goto-char (point-min))
  (forward-line (1- n)))

(defun probe-run (file)
  ;; The fixture is edited but never saved: leave no lock, backup or auto-save files next to it.
  (setq create-lockfiles nil make-backup-files nil auto-save-default nil)
  ;; Don't let flymake or eldoc add requests of their own to the exchange.
  (setq eglot-stay-out-of '(flymake eldoc))
  (setq probe-uri (eglot--path-to-uri file))
  (find-file file)
  (probe-put :major_mode (symbol-name major-mode))
  (unless (eq major-mode 'yaml-mode)
    (error "the file opened in %s, not yaml-mode: is the yaml-mode package installed?" major-mode))
  ;; eglot-ensure connects after the next command; batch mode runs none.
  (run-hooks 'post-command-hook)
  (let ((server (progn (probe-wait #'eglot-current-server) (eglot-current-server))))
    (unless server
      (error "the configuration started no Eglot server for the YAML buffer"))
    (probe-put :command (vconcat (process-command (jsonrpc--process server))))
    (unless (probe-wait (lambda () (eglot--capabilities server)))
      (error "server did not finish initialize within %ss" probe-timeout))
    (probe-put :initialize (list :serverInfo (or (eglot--server-info server) :null)
                                 :capabilities (eglot--capabilities server)))
    (probe-put :diagnostics_initial (probe-diagnostics-after 0 #'identity))

    ;; Copy line 8 (`  replicas: 2`) below itself and change the value: a
    ;; duplicate key on line 9 (0-based 8), sent as incremental changes.
    (let ((seen (length probe-published)))
      (probe-goto-line 8)
      (let ((line (buffer-substring (line-beginning-position) (line-end-position))))
        (end-of-line)
        (insert "\n" line))
      (delete-char -1)
      (insert "3")
      (eglot--signal-textDocument/didChange)
      (probe-put :buffer_after_edit (buffer-string))
      (probe-put :diagnostics_after_edit (probe-diagnostics-after seen (probe-duplicate-on 8))))

    ;; Take the line out again: the duplicate must go away.
    (let ((seen (length probe-published)))
      (probe-goto-line 9)
      (delete-region (line-beginning-position) (1+ (line-end-position)))
      (eglot--signal-textDocument/didChange)
      (probe-put :diagnostics_after_undo
                 (probe-diagnostics-after seen (lambda (d) (not (funcall (probe-duplicate-on 8) d))))))

    (let ((doc (list :textDocument (eglot--TextDocumentIdentifier))))
      (probe-put :symbols (probe-request server :textDocument/documentSymbol doc))
      (probe-put :folding (probe-request server :textDocument/foldingRange doc))
      ;; `replicas` on line 8 (0-based 7).
      (probe-put :hover (probe-request server :textDocument/hover
                                       (append doc '(:position (:line 7 :character 4)))))
      ;; A new line holding only the indentation of `spec:`'s keys; complete there.
      (probe-goto-line 8)
      (end-of-line)
      (insert "\n  ")
      (eglot--signal-textDocument/didChange)
      (probe-put :completion (probe-request server :textDocument/completion
                                            (append doc '(:position (:line 8 :character 2)
                                                          :context (:triggerKind 1))))))

    (set-buffer-modified-p nil) ; the fixture is never written
    (eglot-shutdown server nil probe-timeout)
    (probe-put :stopped (if (jsonrpc-running-p server) :json-false t))))

(let ((file (pop command-line-args-left)))
  (condition-case err
      (progn
        (unless file (error "usage: emacs --batch -l init.el -l probe.el FILE"))
        (probe-run (expand-file-name file)))
    (error (probe-error (error-message-string err))))
  (probe-finish))

;;; probe.el ends here
