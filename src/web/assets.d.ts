// The phone listener embeds these files as text (`with { type: "text" }`): to TypeScript they are strings.
declare module "*.svg" {
  const text: string
  export default text
}
declare module "*/sign.js" {
  const text: string
  export default text
}
declare module "*/sw.js" {
  const text: string
  export default text
}
// Embedded as files (`with { type: "file" }`): the import is a path Bun.file reads, in the binary too.
declare module "*.png" {
  const path: string
  export default path
}
