// What VS Code gives a webview's scripts (media/panel.js): the API to post messages back to the
// extension, typed with the panel's messages. For type checking only (media/tsconfig.json).
declare function acquireVsCodeApi(): {
  postMessage(message: import('../src/vscode/panelMessages').PanelRequest): void;
};
