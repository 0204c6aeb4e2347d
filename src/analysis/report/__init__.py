"""Report: the papermill runner, standalone HTML, the index, notebook helpers and charts."""
