// Status-bar item naming the schema the server applies to the active YAML
// document. A server that advertises `gitops-ls/schemaChanged` pushes it when it
// changes; the `gitops-ls/schemaInfo` request covers documents it has not pushed
// yet and servers without the notification (asked again after each publish).
import * as vscode from 'vscode';
import { ClientCapabilities, ErrorCodes, LanguageClient, ResponseError, StaticFeature } from 'vscode-languageclient/node';

export const SCHEMA_INFO_METHOD = 'gitops-ls/schemaInfo';
export const SCHEMA_CHANGED_METHOD = 'gitops-ls/schemaChanged';

export interface SchemaChangedParams {
  uri: string;
  schema: SchemaInfo | null;
}

/** Asks the server for `gitops-ls/schemaChanged` (client capability `experimental`). */
export const schemaChangedFeature: StaticFeature = {
  fillClientCapabilities(capabilities: ClientCapabilities): void {
    capabilities.experimental = { ...(capabilities.experimental as object | undefined), [SCHEMA_CHANGED_METHOD]: true };
  },
  initialize(): void {},
  getState: () => ({ kind: 'static' }),
  clear(): void {},
};

export interface SchemaInfo {
  label: string;
  source: string;
  sourceUri?: string;
}

const REFRESH_DELAY_MS = 300;

export class SchemaStatus implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('gitops-ls.schema', vscode.StatusBarAlignment.Right, 100);
  private readonly subscriptions: vscode.Disposable[] = [];
  private client: LanguageClient | undefined;
  /** False once the server said it has no such method: then the item stays hidden. */
  private supported = true;
  private timer: NodeJS.Timeout | undefined;
  private current: SchemaInfo | undefined;
  /** The server pushes schema changes: no request after each publish. */
  private pushed = false;
  /** What the server pushed last, per document URI. */
  private readonly known = new Map<string, SchemaInfo | null>();

  constructor(private readonly output: vscode.OutputChannel) {
    this.item.name = 'gitops-ls schema';
    this.item.command = 'gitops-ls.showSchema';
    this.subscriptions.push(
      vscode.window.onDidChangeActiveTextEditor(() => this.schedule(0)),
      // The server forgets a closed document and pushes again when it is opened.
      vscode.workspace.onDidCloseTextDocument((doc) => this.known.delete(doc.uri.toString())),
    );
  }

  /** Registers the notification handler; call before `client.start()`. */
  listen(client: LanguageClient): void {
    client.registerFeature(schemaChangedFeature);
    client.onNotification(SCHEMA_CHANGED_METHOD, (p: SchemaChangedParams) => this.schemaChanged(p));
  }

  attach(client: LanguageClient): void {
    this.client = client;
    this.supported = true;
    const experimental = client.initializeResult?.capabilities.experimental as Record<string, unknown> | undefined;
    this.pushed = experimental?.[SCHEMA_CHANGED_METHOD] === true;
    this.output.appendLine(this.pushed ? `The server pushes ${SCHEMA_CHANGED_METHOD}.` : `The server does not push ${SCHEMA_CHANGED_METHOD}; asking ${SCHEMA_INFO_METHOD} after each change.`);
    this.schedule(0);
  }

  detach(): void {
    this.client = undefined;
    this.current = undefined;
    this.pushed = false;
    this.known.clear();
    this.item.hide();
  }

  /** Called when the server published diagnostics for `uri`. */
  documentChanged(uri: string): void {
    if (this.pushed) return;
    if (vscode.window.activeTextEditor?.document.uri.toString() === uri) this.schedule(REFRESH_DELAY_MS);
  }

  private schemaChanged(p: SchemaChangedParams): void {
    this.known.set(p.uri, p.schema);
    const doc = vscode.window.activeTextEditor?.document;
    if (doc && doc.uri.toString() === p.uri && doc.languageId === 'yaml') {
      if (this.timer) clearTimeout(this.timer);
      this.show(p.schema);
    }
  }

  private schedule(delay: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(), delay);
  }

  private async fetch(doc: vscode.TextDocument): Promise<SchemaInfo | null | undefined> {
    if (!this.client || !this.supported || doc.languageId !== 'yaml') return undefined;
    const known = this.known.get(doc.uri.toString());
    if (known !== undefined) return known;
    try {
      return await this.client.sendRequest<SchemaInfo | null>(SCHEMA_INFO_METHOD, { uri: doc.uri.toString() });
    } catch (e) {
      if (e instanceof ResponseError && e.code === ErrorCodes.MethodNotFound) {
        this.supported = false;
        this.output.appendLine(`The server does not implement ${SCHEMA_INFO_METHOD}; hiding the schema status item.`);
      } else {
        this.output.appendLine(`${SCHEMA_INFO_METHOD} failed: ${String(e)}`);
      }
      return undefined;
    }
  }

  private async refresh(): Promise<void> {
    const doc = vscode.window.activeTextEditor?.document;
    const info = doc ? await this.fetch(doc) : undefined;
    if (info === undefined) {
      this.current = undefined;
      this.item.hide();
      return;
    }
    this.show(info);
  }

  private show(info: SchemaInfo | null): void {
    this.current = info ?? undefined;
    if (!info) {
      this.item.text = '$(symbol-namespace) No schema';
      this.item.tooltip = 'gitops-ls found no schema for this document';
    } else {
      this.item.text = `$(symbol-namespace) ${info.label}`;
      this.item.tooltip = `Schema: ${info.label}\nFrom: ${info.source}${info.sourceUri ? '\nClick to open the schema source' : ''}`;
    }
    this.item.show();
  }

  async showSchema(): Promise<void> {
    const doc = vscode.window.activeTextEditor?.document;
    if (!doc || doc.languageId !== 'yaml') {
      void vscode.window.showInformationMessage('gitops-ls: open a YAML document to see its schema.');
      return;
    }
    const info = (await this.fetch(doc)) ?? undefined;
    if (!info) {
      const why = this.client && !this.supported ? 'the running server does not report schemas yet' : 'no schema applies to this document';
      void vscode.window.showInformationMessage(`gitops-ls: ${why}.`);
      return;
    }
    if (!info.sourceUri) {
      void vscode.window.showInformationMessage(`gitops-ls: schema ${info.label} (${info.source}).`);
      return;
    }
    const uri = vscode.Uri.parse(info.sourceUri);
    if (uri.scheme === 'http' || uri.scheme === 'https') {
      await vscode.env.openExternal(uri);
    } else {
      await vscode.window.showTextDocument(uri, { preview: true });
    }
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.item.dispose();
    for (const s of this.subscriptions) s.dispose();
  }
}
