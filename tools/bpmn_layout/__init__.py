"""Draw the diagram (BPMN DI) of a BPMN file whose model was written by hand.

Process owners write the semantics of a procedure in a text editor; bpmn-js and Camunda Modeler
show nothing without shapes and edges, and drawing them by hand does not survive the next change
of the model. This tool throws the old diagram away and computes a new one from the model alone,
so it can be rerun after every edit and always gives the same bytes for the same model.

Layout: left-to-right layers (column = longest path from the start events, loops ignored), one
horizontal band per lane, nodes sharing a lane and a column stacked in sub-rows. Expanded
sub-processes are laid out recursively inside their own shape (isExpanded="true").

Rooms, in the order a document goes through them: `model` (BPMN names and helpers),
`document` (the whole file: old diagram out, pools, writing the DI), `pools` (participants and
lanes), `scope` (content of a process or sub-process: nodes, decorations, cells), `ranking`
(columns), `grid` (pixel boxes), `routing` (sequence flows), `emit` (shapes, edges and labels
into the `drawing`), `geometry` (sizes and boxes), `cli` (the command).

Why not npm bpmn-auto-layout (1.3.0, compared on the four procedures): it draws a bare process
plane without the pool and the lanes, collapses expanded sub-processes, piles boundary-event
and flow labels on each other, and re-serializes the model through bpmn-moddle, which drops the
`loopDataInputRef` of multi-instance tasks.

Usage: python -m tools.bpmn_layout FILE.bpmn [FILE2.bpmn ...]
"""

from .cli import main
from .document import layout_bytes, layout_file, layout_tree
from .model import FLOW_NODES

__all__ = ["FLOW_NODES", "layout_bytes", "layout_file", "layout_tree", "main"]
