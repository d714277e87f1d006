// Vite's `?worker&url` import: the URL of a bundled module worker script.
declare module '*?worker&url' {
  const url: string
  export default url
}
