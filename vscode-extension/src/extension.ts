import { execFile } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  DidChangeConfigurationNotification,
  LanguageClient,
  LanguageClientOptions,
  ResponseError,
  RevealOutputChannelOn,
  ServerOptions,
  State,
} from 'vscode-languageclient/node';
import { ProbeResult, SOURCE_LABEL, describeSpawnError, resolveServer, skippedSettingMessage } from './serverPath';
import { SchemaStatus } from './schemaStatus';
import { RESTART_KEYS, SECTION, configurationItem, toServerSettings } from './settings';

const VERSION_TIMEOUT_MS = 5000;

// Our documents: YAML on disk and unsaved buffers. No language override, so
// other YAML extensions (e.g. Red Hat's) keep working on the same files.
const DOCUMENT_SELECTOR = [
  { scheme: 'file', language: 'yaml' },
  { scheme: 'untitled', language: 'yaml' },
];

let output: vscode.OutputChannel;
let client: LanguageClient | undefined;
let status: SchemaStatus;

function currentSettings() {
  const cfg = vscode.workspace.getConfiguration(SECTION);
  return toServerSettings((key) => cfg.get(key));
}

function probe(bin: string): Promise<ProbeResult> {
  return new Promise((resolve) => {
    execFile(bin, ['--version'], { timeout: VERSION_TIMEOUT_MS }, (err, stdout) => {
      if (err) resolve({ ok: false, reason: describeSpawnError(err as NodeJS.ErrnoException & { killed?: boolean; signal?: string }) });
      else resolve({ ok: true, stdout: String(stdout) });
    });
  });
}

async function startServer(context: vscode.ExtensionContext): Promise<void> {
  const bundled = path.join(context.extensionPath, 'server', process.platform === 'win32' ? 'gitops-ls.exe' : 'gitops-ls');
  const res = await resolveServer(
    {
      settingPath: vscode.workspace.getConfiguration(SECTION).get<string>('server.path'),
      envPath: process.env.GITOPS_LS_PATH,
      bundledPath: bundled,
      homeDir: os.homedir(),
      workspaceFolder: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
    },
    { probe },
  );
  for (const r of res.rejected) output.appendLine(`Skipped ${SOURCE_LABEL[r.source]} ${r.path}: ${r.reason}`);
  if (!res.ok) {
    output.appendLine(res.message);
    void vscode.window.showErrorMessage(res.message, 'Open Settings', 'Show Logs').then((choice) => {
      if (choice === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', `${SECTION}.server.path`);
      if (choice === 'Show Logs') output.show(true);
    });
    return;
  }
  const skipped = skippedSettingMessage(res);
  if (skipped) void vscode.window.showWarningMessage(skipped);
  output.appendLine(`Starting gitops-ls ${res.version} from ${res.path} (${SOURCE_LABEL[res.source]})`);

  // The server reads its log level from the environment, before any settings arrive.
  const env = { ...process.env, GITOPS_LS_LOG: currentSettings().log.level };
  const serverOptions: ServerOptions = { command: res.path, args: [], options: { env } };
  const clientOptions: LanguageClientOptions = {
    documentSelector: DOCUMENT_SELECTOR,
    outputChannel: output,
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    initializationOptions: { [SECTION]: currentSettings() },
    middleware: {
      workspace: {
        // Answer `gitops-ls*` sections with the normalised settings, leave the rest to VS Code.
        configuration: async (params, token, next) => {
          const fallback = await next(params, token);
          if (fallback instanceof ResponseError) return fallback;
          const settings = currentSettings();
          return params.items.map((item, i) => configurationItem(item.section, settings) ?? fallback[i]);
        },
      },
      // Fresh diagnostics mean the server re-read the document: its schema may have changed too.
      handleDiagnostics: (uri, diagnostics, next) => {
        next(uri, diagnostics);
        status.documentChanged(uri.toString());
      },
    },
  };

  client = new LanguageClient(SECTION, 'gitops-ls', serverOptions, clientOptions);
  status.listen(client);
  try {
    await client.start();
  } catch (e) {
    output.appendLine(`gitops-ls failed to start: ${String(e)}`);
    void vscode.window.showErrorMessage(`gitops-ls: the server at ${res.path} failed to start. See "gitops-ls: Show Logs".`);
    client = undefined;
    return;
  }
  status.attach(client);
}

async function stopServer(): Promise<void> {
  status.detach();
  const c = client;
  client = undefined;
  if (c && c.state !== State.Stopped) {
    try {
      await c.stop();
    } catch (e) {
      output.appendLine(`Stopping gitops-ls: ${String(e)}`);
    }
  }
}

async function restartServer(context: vscode.ExtensionContext): Promise<void> {
  await stopServer();
  await startServer(context);
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel('gitops-ls');
  status = new SchemaStatus(output);
  context.subscriptions.push(
    output,
    status,
    vscode.commands.registerCommand('gitops-ls.restartServer', () => restartServer(context)),
    vscode.commands.registerCommand('gitops-ls.showLogs', () => output.show(true)),
    vscode.commands.registerCommand('gitops-ls.showSchema', () => status.showSchema()),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (RESTART_KEYS.some((k) => e.affectsConfiguration(`${SECTION}.${k}`))) {
        void restartServer(context);
      } else if (e.affectsConfiguration(SECTION) && client?.state === State.Running) {
        // Push the new values; servers that prefer to pull re-ask via workspace/configuration.
        void client.sendNotification(DidChangeConfigurationNotification.type, { settings: { [SECTION]: currentSettings() } });
      }
    }),
  );
  await startServer(context);
}

export function deactivate(): Promise<void> {
  return stopServer();
}

