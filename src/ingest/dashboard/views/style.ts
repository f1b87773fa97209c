// The page's one stylesheet. A 12-column grid on wide screens; below 1000 px every panel takes
// the full width and below 600 px the paddings shrink, so the page never scrolls sideways on a
// phone (420 px) and every plot scales with its panel.
export const STYLE = `
:root{color-scheme:dark}
*{box-sizing:border-box}
body{margin:0;background:#111217;color:#ccccdc;font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
a{color:#8ab8ff}
header{display:flex;flex-wrap:wrap;align-items:baseline;gap:8px 24px;padding:14px 20px 8px}
h1{font-size:18px;margin:0;color:#e6e6f0;font-weight:600}
.source{color:#9fa3b1;font-size:12px;overflow-wrap:anywhere}
nav{margin-left:auto;display:flex;flex-wrap:wrap;gap:4px}
nav a{color:#ccccdc;text-decoration:none;padding:3px 9px;border:1px solid #2f333b;border-radius:3px;font-size:12px}
nav a.on{background:#3d71d9;border-color:#3d71d9;color:#fff}
.filters{display:flex;flex-wrap:wrap;gap:6px 10px;padding:6px 20px 0}
.filter{display:flex;align-items:center;gap:4px;margin:0}
.filter label{display:flex;align-items:center;gap:4px;font-size:12px;color:#9fa3b1}
.filter input{width:9em;max-width:40vw;background:#181b1f;color:#e6e6f0;border:1px solid #2f333b;border-radius:3px;padding:2px 6px;font:inherit;font-size:12px}
.filter button{background:#22252b;color:#ccccdc;border:1px solid #2f333b;border-radius:3px;font-size:12px;padding:2px 8px;cursor:pointer}
.chips{margin:0;padding:8px 20px;border-bottom:1px solid #2a2d35;font-size:12px;color:#9fa3b1;display:flex;flex-wrap:wrap;gap:6px;align-items:center}
.chip{display:inline-block;background:#1f3a6b;color:#e6e6f0;border-radius:10px;padding:1px 10px;text-decoration:none;overflow-wrap:anywhere}
.chip:hover{background:#2a4f8f}
main{display:grid;grid-template-columns:repeat(12,minmax(0,1fr));gap:10px;padding:12px 20px}
.group-title{grid-column:span 12;font-size:14px;font-weight:600;color:#e6e6f0;margin:8px 0 0}
.panel{background:#181b1f;border:1px solid #24272e;border-radius:4px;padding:10px 12px;min-width:0}
.panel h2{font-size:13px;font-weight:600;margin:0;color:#e6e6f0}
.panel .hint{font-size:11px;color:#8e919c;margin:0 0 6px}
.w3{grid-column:span 3}.w4{grid-column:span 4}.w6{grid-column:span 6}.w8{grid-column:span 8}.w12{grid-column:span 12}
@media (max-width:1000px){.w3,.w4,.w6,.w8{grid-column:span 12}}
.chart{width:100%;height:auto;display:block}
.grid{stroke:#2c3038;stroke-width:1}
.axis{fill:#8e919c;font-size:11px}
.threshold{stroke-width:1;stroke-dasharray:5 4;opacity:.7}
.line{stroke-width:2;stroke-linejoin:round}
.stats{display:flex;gap:12px;justify-content:space-around;padding:18px 0 4px}
.stats.minor{padding:4px 0}
.stats.minor .stat-value{font-size:clamp(14px,1.4vw,18px)}
.stat-count{text-align:center;color:#8e919c;font-size:12px;margin:6px 0 0}
.stat{display:flex;flex-direction:column;align-items:center;min-width:0}
.stat-name{font-size:11px;text-transform:uppercase;color:#8e919c;letter-spacing:.05em}
.stat-value{font-size:clamp(18px,2.2vw,32px);font-weight:600;white-space:nowrap}
.donut-wrap{display:flex;align-items:center;gap:12px}
.donut-wrap svg{width:45%;max-width:170px;flex:0 0 auto}
.donut-wrap .legend{flex:1 1 auto;min-width:0}
.donut-total{fill:#e6e6f0;font-size:24px;font-weight:600}
.donut-unit{fill:#8e919c;font-size:11px}
.legend{list-style:none;margin:0;padding:0;font-size:12px}
.legend li{display:flex;align-items:center;gap:6px;margin:6px 0;white-space:nowrap;min-width:0}
.legend i{display:inline-block;flex:0 0 10px;width:10px;height:10px;border-radius:2px}
.legend i.dash{height:0;border-top:2px dashed;border-radius:0;width:14px;flex-basis:14px}
.legend-label{overflow:hidden;text-overflow:ellipsis}
.legend-value{color:#8e919c;margin-left:auto;padding-left:8px}
.legend.inline{display:flex;flex-wrap:wrap;gap:0 14px}
.legend.inline li{margin:4px 0}
.note{font-size:11px;color:#8e919c;margin:4px 0 0}
.empty{display:flex;align-items:center;justify-content:center;height:120px;color:#8e919c}
.warn{grid-column:span 12;background:#3a2a12;border:1px solid #6b4c15;color:#f5c26b;padding:6px 10px;border-radius:4px;font-size:12px;margin:0}
.table-wrap{max-width:100%;overflow-x:auto}
table{width:100%;border-collapse:collapse;font-size:12px}
th,td{padding:3px 6px;border-bottom:1px solid #24272e;text-align:left;vertical-align:middle}
thead th{color:#8e919c;font-weight:500}
tbody th{font-weight:500;color:#ccccdc;overflow-wrap:break-word}
.sub th{color:#8e919c;font-weight:500;padding-top:8px}
tr.phase th{padding-left:14px}
.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
.breakdown .bar-cell{width:35%}
.hbar-track{display:block;height:10px;background:#22252b;border-radius:2px;overflow:hidden;min-width:20px}
.hbar{display:block;height:100%}
.stage{margin:4px 0 10px}
.stage-head{display:flex;flex-wrap:wrap;justify-content:space-between;gap:0 10px;font-size:13px}
.stage-mean{color:#8e919c;font-size:12px}
.hbar-row{display:flex;align-items:center;gap:8px;margin:3px 0}
.hbar-row .hbar-track{flex:1 1 auto;height:14px}
.hbar-name{flex:0 0 2.5em;font-size:11px;color:#8e919c}
.hbar-value{flex:0 0 auto;min-width:5em;text-align:right;font-weight:600;color:#e6e6f0;font-variant-numeric:tabular-nums}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
footer{padding:0 20px 14px;color:#6e717c;font-size:11px}
@media (max-width:600px){header,.filters,.chips{padding-left:8px;padding-right:8px}main{padding:8px;gap:8px}.panel{padding:8px}.axis{font-size:15px}th,td{padding:3px 4px}}
`;
