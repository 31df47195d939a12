import Srf from 'drachtio-srf';

/**
 * The bare application of the engine benchmark: every INVITE becomes a B2BUA call to
 * the UAS given in argv, and either side's BYE ends the other. Nothing else.
 */
const [adminPort, secret, target] = process.argv.slice(2);
const srf = new Srf();
srf.invite(async (req, res) => {
  try {
    const { uas, uac } = await srf.createB2BUA(req, res, target, { localSdpB: req.body });
    uas.on('destroy', () => uac.destroy());
    uac.on('destroy', () => uas.destroy());
  } catch {
    // the failure was already answered to the caller by createB2BUA
  }
});
srf.on('connect', () => process.send?.('ready'));
srf.on('error', () => undefined);
void srf.connect({ host: '127.0.0.1', port: Number(adminPort), secret });
