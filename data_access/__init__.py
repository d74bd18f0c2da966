"""Everything that touches the database: settings, engine, schema and migrations, one query
module per domain, the importers, the demo scenario and the command line. Never imports streamlit."""
