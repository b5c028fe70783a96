// Package composetest runs the project's Dockerfile and compose stack for
// real: it builds the hoster image offline from a vendor tree, brings
// compose/docker-compose.yml up with docker-compose against a private Tor
// network on 127.0.0.1, and reaches the site through Tor by the address the
// container printed. It also lints the Dockerfile and the compose file
// (docker-compose v1.29 and the compose-go v2 loader). The package has no
// code of its own; see its tests.
package composetest
