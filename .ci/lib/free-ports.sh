# shellcheck shell=bash
# Sourced by the CI scripts that start the packaged server: free_ports [N] prints N (default 2)
# distinct free TCP ports on 127.0.0.1, picked by the OS (use: read -r http_port grpc_port
# management_port < <(free_ports 3)).
free_ports() {
  node -e '
    const net = require("net");
    const n = Number(process.argv[1] || 2);
    const servers = [];
    const next = () => {
      if (servers.length === n) {
        console.log(servers.map((s) => s.address().port).join(" "));
        servers.forEach((s) => s.close());
        return;
      }
      const s = net.createServer().listen(0, "127.0.0.1", next);
      servers.push(s);
    };
    next();' "${1:-2}"
}
