#!/usr/bin/env python3
"""Writes the large benchmark graph: 100,000 nodes and 200,000 edges (networkx's
gnm_random_graph, seed 1), a label and a number on each node and a weight on each edge,
as GraphML (about 28 MB). Usage: make-large-graphml.py OUT.graphml"""
import random
import sys

import networkx as nx

if len(sys.argv) != 2:
    sys.exit(__doc__)
random.seed(1)
g = nx.gnm_random_graph(100_000, 200_000, seed=1)
for n in g:
    g.nodes[n]["label"] = f"node {n}"
    g.nodes[n]["score"] = random.random()
for e in g.edges:
    g.edges[e]["weight"] = random.random()
nx.write_graphml(g, sys.argv[1])
