"""The run report's inlined assets: its style sheet, the node colours and the drawing script.

Inlined (never fetched) because police networks are often closed; `interlink.report` puts them
into the page beside the vendored vis-network.
"""

from __future__ import annotations

_STYLE = """
body{font-family:system-ui,sans-serif;margin:0;color:#1d2733;background:#fafbfc}
header{background:#1d3557;color:#fff;padding:1em 2em}header p{margin:.2em 0;opacity:.9}
main{padding:0 2em 3em;max-width:90em}nav.toc a{margin-right:1.2em}
h2{border-bottom:2px solid #1d3557;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0;background:#fff}
td,th{border:1px solid #ccd3db;padding:.25em .6em;vertical-align:top;text-align:left}
th{background:#eef2f6}.def{color:#4a5a6a;font-size:.92em;max-width:40em}
.muted{color:#7a8794}.masked{color:#a33;font-style:italic}.note{background:#fff7e0;
border-left:4px solid #e0a800;padding:.5em 1em;max-width:60em}
.graph{height:640px;border:1px solid #ccd3db;background:#fff;margin:.5em 0}
.legend span{display:inline-block;margin-right:1em}.legend i{display:inline-block;width:1em;
height:1em;margin-right:.3em;vertical-align:middle;border-radius:3px}
section.entity{background:#fff;border:1px solid #ccd3db;padding:0 1em 1em;margin:1em 0}
details{margin:1em 0}pre{background:#f3f5f7;padding:1em;overflow:auto;max-height:40em}
"""

_COLOURS = {
    "case": "#f4a259",
    "suspect": "#e76f51",
    "facilitator": "#bc4b51",
    "victim": "#5b8e7d",
    "witness": "#8ab17d",
    "missing": "#9a8c98",
    "several": "#c9ada7",
    "unknown": "#cccccc",
}

# Draws every graph from the JSON beside it; titles become text blocks (multi-line, never HTML:
# the labels are data from member countries). Physics stops once laid out, so an idle page
# costs nothing; double-clicking a person opens its page.
_SCRIPT = """
(function(){
  var colours = %(colours)s;
  window.interlinkGraphs = {};
  document.querySelectorAll('script.graph-data').forEach(function(el){
    var g = JSON.parse(el.textContent);
    var box = document.getElementById('graph-' + g.network_id);
    function text(t){var d=document.createElement('div');d.style.whiteSpace='pre-line';
      d.style.maxWidth='40em';d.textContent=t;return d;}
    var nodes = g.nodes.map(function(n){return {id:n.id, label:n.label, title:text(n.title),
      shape: n.group==='case' ? 'box' : 'ellipse', entity:n.entity,
      color:{background:colours[n.group]||colours.unknown, border:'#33415c'},
      widthConstraint:{maximum:220}, font:{size:16, face:'system-ui'}};});
    var edges = g.edges.map(function(e){return {from:e.from, to:e.to, label:e.label,
      title:text(e.title), dashes:!!e.dashes, font:{size:13, align:'middle', color:'#33415c',
      strokeWidth:3, strokeColor:'#ffffff'}, color:{color:'#7a8794'}, smooth:false};});
    var net = new vis.Network(box, {nodes:new vis.DataSet(nodes), edges:new vis.DataSet(edges)},
      {interaction:{hover:true, tooltipDelay:100, navigationButtons:true, keyboard:false},
       physics:{solver:'barnesHut', barnesHut:{springLength:200, avoidOverlap:0.6,
                gravitationalConstant:-6000}, stabilization:{iterations:400}},
       layout:{randomSeed:7}});
    // Ready only once the fitted layout is painted: fit() redraws on a later frame.
    net.once('stabilizationIterationsDone', function(){
      net.setOptions({physics:false});
      net.once('afterDrawing', function(){box.dataset.ready = 'true';});
      net.fit(); net.redraw();});
    net.on('doubleClick', function(p){
      if (!p.nodes.length) return;
      var n = nodes.find(function(x){return x.id===p.nodes[0];});
      if (n && n.entity) location.hash = 'entity-' + n.entity;});
    window.interlinkGraphs[g.network_id] = net;
  });
})();
"""
