// Checks that two answers of one shape show the same integrations in the same order: the names of the
// objects that have a "provider" (the integrations), in document order. Prints their count.
// usage: node check.js pointguard.json postgraphile.json WANT
const fs = require("fs");
const [a, b] = process.argv.slice(2, 4).map((f) => JSON.parse(fs.readFileSync(f, "utf8")));
const want = Number(process.argv[4]);
for (const [r, who] of [[a, "Pointguard"], [b, "PostGraphile"]]) {
    if (r.errors) { console.error(`${who} answered with errors: ${JSON.stringify(r.errors).slice(0, 500)}`); process.exit(1); }
}
function names(v, out) {
    if (Array.isArray(v)) v.forEach((x) => names(x, out));
    else if (v && typeof v === "object") {
        if ("provider" in v) out.push(v.name);
        Object.values(v).forEach((x) => names(x, out));
    }
    return out;
}
const x = names(a.data, []), y = names(b.data, []);
if (x.length !== want) { console.error(`Pointguard showed ${x.length} integrations, want ${want}`); process.exit(1); }
if (JSON.stringify(x) !== JSON.stringify(y)) {
    const i = x.findIndex((n, i) => n !== y[i]);
    console.error(`the answers differ at integration ${i}: ${x[i]} / ${y[i]} (${x.length} / ${y.length})`); process.exit(1);
}
console.log(`${x.length} integrations, the same in the same order`);
