//! A peer whose key is not on a node's trust list cannot reach it (issue 4):
//! the real authenticated network with rowchain's settings
//! (`bft::net::p2p_config`) on loopback. Nodes 0 and 1 trust each other;
//! node 2's key is on no list but its own, and it dials node 0.

use commonware_p2p::{AddressableManager as _, Receiver as _, Recipients, Sender as _};
use commonware_runtime::{Clock, Quota, Runner as _, Supervisor as _};
use commonware_utils::NZU32;
use node_bft::{self as bft, net};
use std::net::SocketAddr;
use std::time::Duration;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

type Channel = (
    commonware_p2p::authenticated::lookup::Sender<bft::PublicKey, commonware_runtime::tokio::Context>,
    commonware_p2p::authenticated::lookup::Receiver<bft::PublicKey>,
);

#[test]
fn a_key_off_the_trust_list_gets_no_message_through() {
    let storage = std::env::temp_dir().join(format!("rowchain-trust-{}", std::process::id()));
    let runner = commonware_runtime::tokio::Runner::new(
        commonware_runtime::tokio::Config::new().with_storage_directory(&storage),
    );
    runner.start(|context| async move {
        let keys: Vec<bft::PrivateKey> = (1u8..=3).map(|i| bft::private_key(&[i; 32])).collect();
        let pks: Vec<bft::PublicKey> = keys.iter().map(commonware_cryptography::Signer::public_key).collect();
        let addrs: Vec<SocketAddr> = (0..3).map(|_| SocketAddr::from(([127, 0, 0, 1], free_port()))).collect();
        let namespace = b"rowchain/consensus/v1/trust-test".to_vec();
        let start = |i: usize, list: &[usize]| -> Channel {
            let cfg = net::p2p_config(keys[i].clone(), &namespace, addrs[i], list.len(), 1 << 16, false);
            let (mut network, mut oracle) = commonware_p2p::authenticated::lookup::Network::new(
                context.child("network").with_attribute("node", i),
                cfg,
            );
            let peers = commonware_utils::ordered::Map::from_iter_dedup(
                list.iter().map(|j| (pks[*j].clone(), commonware_p2p::Address::Symmetric(addrs[*j]))),
            );
            oracle.track(0, peers);
            let channel = network.register(bft::CHANNEL_TXS, Quota::per_second(NZU32!(100)));
            network.start();
            channel
        };
        let (_, mut inbox) = start(0, &[0, 1]);
        let (mut friend, _) = start(1, &[0, 1]);
        // The trusted peer gets through. Each handshake must complete within
        // the 5 s synchrony bound, so on a machine busy with other builds
        // and tests the first attempts can fail: wait up to a minute.
        let mut heard = false;
        for _ in 0..600 {
            friend.send(Recipients::One(pks[0].clone()), b"friend".to_vec(), false);
            let tick = context.sleep(Duration::from_millis(100));
            commonware_macros::select! {
                m = inbox.recv() => {
                    let (from, msg) = m.expect("network open");
                    assert_eq!((from, msg.as_ref()), (pks[1].clone(), b"friend".as_slice()));
                    heard = true;
                    break;
                },
                _ = tick => {},
            }
        }
        assert!(heard, "the trusted peer never got through: the test would prove nothing");
        // The stranger lists node 0 and sends to it for three seconds while
        // the friend keeps sending too: node 0 hears the friend, never the
        // stranger.
        let (mut stranger, _) = start(2, &[0, 2]);
        let mut from_friend = 0;
        let deadline = context.current() + Duration::from_secs(3);
        while context.current() < deadline {
            stranger.send(Recipients::One(pks[0].clone()), b"stranger".to_vec(), false);
            friend.send(Recipients::One(pks[0].clone()), b"friend".to_vec(), false);
            let tick = context.sleep(Duration::from_millis(100));
            futures::pin_mut!(tick);
            loop {
                commonware_macros::select! {
                    m = inbox.recv() => {
                        let (from, _) = m.expect("network open");
                        assert_ne!(from, pks[2], "a key off the trust list got a message through");
                        from_friend += 1;
                    },
                    _ = &mut tick => break,
                }
            }
        }
        assert!(from_friend > 0, "node 0 stopped hearing its trusted peer");
    });
    let _ = std::fs::remove_dir_all(&storage);
}
