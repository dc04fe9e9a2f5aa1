"""MCP server whose tools are generated from the command registry (`/mcp/stream`)."""
