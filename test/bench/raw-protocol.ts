/** The protocol on which the bitswap benchmark's peer sends the same bytes as one raw libp2p stream. */
export const RAW_PROTOCOL = '/shoal-bench/raw/1.0.0'
