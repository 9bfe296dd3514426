// Puppeteer config: use a system Chromium when one exists (CI, offline machines) and skip
// puppeteer's own browser download there; elsewhere keep puppeteer's normal download.
const fs = require('node:fs');
const candidates = [process.env.PUPPETEER_EXECUTABLE_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
const system = candidates.find((p) => p && fs.existsSync(p));
const offline = system !== undefined || process.env.CI === 'true';
module.exports = offline ? { skipDownload: true, ...(system ? { executablePath: system } : {}) } : {};
