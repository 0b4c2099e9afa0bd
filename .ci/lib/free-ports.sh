# shellcheck shell=bash
# Sourced by the CI scripts that start the packaged server: free_ports prints two distinct free TCP
# ports on 127.0.0.1, picked by the OS (use: read -r http_port grpc_port < <(free_ports)).
free_ports() {
  node -e '
    const net = require("net");
    const a = net.createServer().listen(0, "127.0.0.1", () => {
      const b = net.createServer().listen(0, "127.0.0.1", () => {
        console.log(a.address().port, b.address().port);
        a.close(); b.close();
      });
    });'
}
