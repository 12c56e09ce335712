"""The state in the warehouse: event rows and their stable ids, folds of the event log, the
store that reads and appends through the adapter, SQL literals, audit rows, the export."""
