// @vscode/test-cli configuration: runs the extension-host suites in a VS Code that it downloads,
// so it needs network access. Build first (npm run build && npx tsc -p tsconfig.test.json), then
//   npx --package @vscode/test-cli vscode-test
// CI does not use this; test/vscode/run.sh runs the same suites offline in code-server.
export default {
  label: 'extension-host',
  files: 'out/test/vscode/suite/*.test.js',
  workspaceFolder: 'test/vscode/fixtures',
  mocha: { ui: 'bdd', timeout: 60000 },
};
