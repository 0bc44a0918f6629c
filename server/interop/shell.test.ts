/** Exec lines → commands: containerlab's no-shell splitting, and sh -c scripts through a real parser. */
import { describe, expect, it } from 'vitest';
import { execCommands } from './shell';

const argvs = (line: string, env: Record<string, string> = {}) =>
  execCommands(line, env).map((p) => (p.kind === 'command' ? p.command.argv.join(' ') : `SKIP ${p.why}`));

describe('exec lines', () => {
  it('a plain line is split like shlex: quotes, no shell', () => {
    expect(argvs(`ip address add dev 'eth1' "192.168.0.1/24"`)).toEqual(['ip address add dev eth1 192.168.0.1/24']);
  });
  it('without a shell, && and $X reach the program: reported, not run', () => {
    expect(argvs('ip a a 10.0.0.1/24 dev eth1 && ip r a default via 10.0.0.254')[0]).toMatch(/without a shell/);
  });
  it('bash -c / ash -c / sh -ec: && ; || newlines, in order', () => {
    const s = `ash -c '\n apk add iproute2 &&\n ip link add name vxlan0 type vxlan id 100 remote 1.2.3.4 dstport 14788 &&\n ip l set dev vxlan0 up\nip a a 10.0.0.1/24 dev vxlan0; true || ip link del vxlan0'`;
    expect(argvs(s)).toEqual([
      'apk add iproute2',
      'ip link add name vxlan0 type vxlan id 100 remote 1.2.3.4 dstport 14788',
      'ip l set dev vxlan0 up',
      'ip a a 10.0.0.1/24 dev vxlan0',
      'true',
      'SKIP runs only when the command before "||" fails',
    ]);
    expect(argvs(`sh -ec "ip link set eth1 up"`)).toEqual(['ip link set eth1 up']);
    expect(argvs(`/bin/bash -c "sudo ip link set eth1 up"`)).toEqual(['ip link set eth1 up']);
  });
  it('variables: the node env and assignments in the script; unset ones are reported', () => {
    expect(argvs(`sh -c 'ip addr add $HOSTNET dev eth3'`, { HOSTNET: '172.16.1.1/24' })).toEqual([
      'ip addr add 172.16.1.1/24 dev eth3',
    ]);
    expect(argvs(`sh -c 'IP=10.9.0.1; ip a a $IP/24 dev eth1'`)).toEqual(['ip a a 10.9.0.1/24 dev eth1']);
    expect(argvs(`sh -c 'ip a a $NOPE dev eth1'`)[0]).toMatch(/\$NOPE/);
  });
  it('control flow and command substitution are reported, never guessed', () => {
    expect(argvs(`bash -c 'for i in 1 2; do ip link set eth$i up; done'`)[0]).toMatch(/for loop/);
    expect(argvs(`sh -c 'ip a a $(cat /ip) dev eth1'`)[0]).toMatch(/command substitution/);
  });
  it('redirections: echo 1 > /proc/sys/… and echo | tee', () => {
    const p = execCommands(
      `sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward; echo 2 | tee /proc/sys/net/ipv4/conf/all/rp_filter'`,
      {},
    );
    expect(p.map((x) => (x.kind === 'command' ? x.command.stdoutTo : x.why))).toEqual([
      '/proc/sys/net/ipv4/ip_forward',
      '/proc/sys/net/ipv4/conf/all/rp_filter',
    ]);
  });
  it('a script that does not parse is reported with the parser message', () => {
    expect(argvs(`sh -c "ip a 'x"`)[0]).toMatch(/not a valid shell script/);
  });
  it('a shell running a file from the image is reported', () => {
    expect(argvs('bash base-configs/s1.sh')[0]).toMatch(/script file/);
  });
});
