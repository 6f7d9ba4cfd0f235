// Run by micrograd/playground/bytecode.py under Node.js at export time:
//   node bytecode.mjs PYODIDE_FOLDER BYTECODE_PY SOURCE_ZIP TARGET_ZIP WHERE [SOURCE_ZIP TARGET_ZIP WHERE ...]
// Starts that Pyodide and, inside it, runs bytecode.py's compile_zip on each triple (WHERE: the
// zip's path in the browser's Pyodide), so every .pyc is made by the interpreter that will import it.
import { readFileSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [folder, script, ...jobs] = process.argv.slice(2);
const index = folder.endsWith("/") ? folder : `${folder}/`;
const { loadPyodide } = await import(pathToFileURL(`${index}pyodide.mjs`).href);
const pyodide = await loadPyodide({ indexURL: index });
pyodide.FS.mkdirTree("/work");
pyodide.FS.writeFile("/work/bytecode.py", readFileSync(script));
pyodide.runPython("import runpy; compile_zip = runpy.run_path('/work/bytecode.py')['compile_zip']");
for (let at = 0; at < jobs.length; at += 3) {
  pyodide.FS.writeFile("/work/source.zip", readFileSync(jobs[at]));
  pyodide.globals.set("where", jobs[at + 2]);
  pyodide.runPython("compile_zip('/work/source.zip', '/work/target.zip', where)");
  writeFileSync(jobs[at + 1], pyodide.FS.readFile("/work/target.zip"));
}
