/** A small element builder: the dashboard's views are plain DOM, without a UI framework. */

/** Attributes and properties of an element; `on*` functions become listeners, `false`/undefined are left out. */
export type Attributes = Record<string, string | number | boolean | undefined | ((event: Event) => void)>

/** A child: an element, text, or nothing. Arrays are flattened. */
export type Child = Node | string | number | undefined | null | false | Child[]

/** Creates an element with attributes and children (`h('a', { href: '/jobs' }, 'Jobs')`). */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue
    if (typeof value === 'function') element.addEventListener(name.slice(2).toLowerCase(), value)
    else if (name === 'value' && 'value' in element) (element as HTMLInputElement).value = String(value)
    else element.setAttribute(name, value === true ? '' : String(value))
  }
  append(element, children)
  return element
}

/** Appends children (flattening arrays, skipping empty ones). */
export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue
    if (Array.isArray(child)) append(parent, child)
    else parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)))
  }
}

/** Replaces an element's children. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren()
  append(parent, children)
}

const SVG = 'http://www.w3.org/2000/svg'

/** Creates an SVG element (charts). */
export function svg(tag: string, attributes: Record<string, string | number> = {}, ...children: Array<SVGElement | string>): SVGElement {
  const element = document.createElementNS(SVG, tag)
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value))
  for (const child of children) element.append(child)
  return element
}
