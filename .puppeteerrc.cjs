// Puppeteer config: use a system Chromium when one exists (CI installs one from apt before
// `npm ci`; offline machines) and skip puppeteer's own browser download there; elsewhere
// (no system Chromium) keep puppeteer's normal download, on CI too.
const fs = require('node:fs');
const candidates = [process.env.PUPPETEER_EXECUTABLE_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
const system = candidates.find((p) => p && fs.existsSync(p));
module.exports = system !== undefined ? { skipDownload: true, executablePath: system } : {};
