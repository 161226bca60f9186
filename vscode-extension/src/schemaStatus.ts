// Status-bar item naming the schema the server applies to the active YAML
// document, fed by the `gitops-ls/schemaInfo` request.
import * as vscode from 'vscode';
import { ErrorCodes, LanguageClient, ResponseError } from 'vscode-languageclient/node';

export const SCHEMA_INFO_METHOD = 'gitops-ls/schemaInfo';

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

  constructor(private readonly output: vscode.OutputChannel) {
    this.item.name = 'gitops-ls schema';
    this.item.command = 'gitops-ls.showSchema';
    this.subscriptions.push(vscode.window.onDidChangeActiveTextEditor(() => this.schedule(0)));
  }

  attach(client: LanguageClient): void {
    this.client = client;
    this.supported = true;
    this.schedule(0);
  }

  detach(): void {
    this.client = undefined;
    this.current = undefined;
    this.item.hide();
  }

  /** Called when the server published diagnostics for `uri`. */
  documentChanged(uri: string): void {
    if (vscode.window.activeTextEditor?.document.uri.toString() === uri) this.schedule(REFRESH_DELAY_MS);
  }

  private schedule(delay: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(), delay);
  }

  private async fetch(doc: vscode.TextDocument): Promise<SchemaInfo | null | undefined> {
    if (!this.client || !this.supported || doc.languageId !== 'yaml') return undefined;
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
