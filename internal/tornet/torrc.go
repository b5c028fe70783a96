package tornet

import (
	"fmt"
	"os"
	"strings"
)

// common is chutney's common.i: what every node of a small test network needs.
func (n *Network) common(name, dir string) string {
	return fmt.Sprintf(`TestingTorNetwork 1
AssumeReachable 1
PathsNeededToBuildCircuits 0.67
TestingDirAuthVoteExit *
TestingDirAuthVoteHSDir *
TestingDirAuthVoteGuard *
TestingMinExitFlagThreshold 0
V3AuthNIntervalsValid 2
Sandbox 0
DataDirectory %s
RunAsDaemon 0
ConnLimit 60
Nickname %s
ShutdownWaitLength 0
SocksPort 0
Log notice file %s/notice.log
SafeLogging 0
LogTimeGranularity 1
__OwningControllerProcess %d
%s
`, dir, name, dir, os.Getpid(), strings.Join(n.authLines, "\n"))
}

// relayTorrc is an authority or relay: chutney's relay-non-dir, authority.i
// and (for the exit) exit-v4.i limited to loopback.
func (n *Network) relayTorrc(nd *node) string {
	var b strings.Builder
	b.WriteString(n.common(nd.name, nd.dir))
	fmt.Fprintf(&b, `ORPort 127.0.0.1:%d
DirPort 127.0.0.1:%d
Address 127.0.0.1
ServerDNSDetectHijacking 0
ServerDNSTestAddresses
ServerDNSResolvConfFile /dev/null
`, nd.orPort, nd.dirPort)
	if nd.auth {
		fmt.Fprintf(&b, `AuthoritativeDirectory 1
V3AuthoritativeDirectory 1
ContactInfo %s@test.test
TestingV3AuthInitialVotingInterval 20
TestingV3AuthInitialVoteDelay 4
TestingV3AuthInitialDistDelay 4
V3AuthVotingInterval 20
V3AuthVoteDelay 4
V3AuthDistDelay 4
`, nd.name)
	}
	if nd.exit {
		b.WriteString("ExitRelay 1\nExitPolicy accept 127.0.0.0/8:*\nExitPolicyRejectPrivate 0\nExitPolicy reject *:*\n")
	} else {
		b.WriteString("ExitRelay 0\n")
	}
	return b.String()
}

// clientTorrc is chutney's client.tmpl with a SOCKS port on loopback.
// IsolateSOCKSAuth (on by default) gives each SOCKS credential its own circuit.
// UseMicrodescriptors 0: a microdescriptor summarises an exit policy by
// ports for public addresses only, so the exit that accepts 127.0.0.0/8
// alone looks to a microdescriptor client as if it rejected everything
// ("no consensus with exits"); with full descriptors the client reads the
// policy itself and reaches loopback services (the simulated Stellar RPC)
// through the exit.
func (n *Network) clientTorrc(socks int) string {
	c := n.common("test006c", n.ClientDir)
	c = strings.Replace(c, "SocksPort 0\n", "", 1)
	return c + fmt.Sprintf("SocksPort 127.0.0.1:%d IsolateSOCKSAuth\nUseMicrodescriptors 0\n", socks)
}
