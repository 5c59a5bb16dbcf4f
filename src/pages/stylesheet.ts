/** The pages' only style, served at `/assets/tessera.css` (the pages' CSP allows no inline style). */
export const STYLESHEET = `
:root { color-scheme: light; font-family: system-ui, sans-serif; line-height: 1.5; color: #1b1f24; background: #f4f5f7; }
body { margin: 0; }
main { max-width: 60rem; margin: 2rem auto; padding: 1.5rem 2rem; background: #fff; border: 1px solid #d0d5dc; border-radius: 6px; }
main.narrow { max-width: 24rem; }
h1 { font-size: 1.6rem; margin-top: 0; }
h2 { font-size: 1.2rem; margin-top: 2rem; }
label { display: block; font-weight: 600; margin-top: 1rem; }
input[type=text], input[type=password], select { display: block; width: 100%; box-sizing: border-box; padding: .5rem; font: inherit; border: 1px solid #6b7480; border-radius: 4px; }
input[aria-invalid=true], select[aria-invalid=true] { border-color: #b00020; border-width: 2px; }
button { font: inherit; padding: .45rem 1rem; border-radius: 4px; border: 1px solid #1d4ed8; background: #1d4ed8; color: #fff; cursor: pointer; }
button.secondary { background: #fff; color: #1d4ed8; }
button.danger { border-color: #b00020; background: #fff; color: #b00020; }
form.login button { margin-top: 1.5rem; width: 100%; }
:focus-visible { outline: 3px solid #f59e0b; outline-offset: 2px; }
.field-error { color: #b00020; margin: .25rem 0 0; }
.alert { border: 2px solid #b00020; background: #fdecee; padding: .5rem .75rem; border-radius: 4px; }
.notice { border: 2px solid #15803d; background: #ecfdf3; padding: .5rem .75rem; border-radius: 4px; }
table { border-collapse: collapse; width: 100%; font-size: .95rem; }
caption { text-align: left; font-weight: 600; padding-bottom: .5rem; }
th, td { text-align: left; padding: .5rem; border-bottom: 1px solid #d0d5dc; vertical-align: top; }
td.agent { max-width: 18rem; overflow-wrap: anywhere; }
.tag { display: inline-block; font-size: .8rem; font-weight: 600; padding: 0 .4rem; border-radius: 3px; background: #dbeafe; color: #1e3a8a; }
.actions { display: flex; gap: 1rem; flex-wrap: wrap; margin-top: 1.5rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
dt { font-weight: 600; }
dd { margin: 0; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
`;
