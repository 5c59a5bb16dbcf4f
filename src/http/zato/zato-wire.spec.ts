import { ERROR_STATUS } from '../../common/error-codes';
import { ZATO_SUB_STATUS } from './zato-codes';
import { fromZatoApproval, fromZatoUserId, parseZatoTime, toZatoApproval, toZatoUserId, zatoTime } from './zato-wire';

describe("Zato's wire formats", () => {
  describe('timestamps', () => {
    it('are written as Python isoformat() of naive UTC: microseconds only when there are any', () => {
      expect(zatoTime(new Date('2025-01-02T03:04:05.678Z'))).toBe('2025-01-02T03:04:05.678000');
      expect(zatoTime(new Date('2345-12-27T11:22:33Z'))).toBe('2345-12-27T11:22:33');
      expect(zatoTime(null)).toBeNull();
    });

    it('are read as UTC without an offset, and read back exactly as a client set them (to the millisecond)', () => {
      for (const text of ['2345-12-27T11:22:33', '2025-01-02T03:04:05.678000']) expect(zatoTime(parseZatoTime(text, 'x'))).toBe(text);
      expect(parseZatoTime('2025-01-02T03:04:05.678901', 'x')!.toISOString()).toBe('2025-01-02T03:04:05.678Z');
      expect(parseZatoTime(null, 'x')).toBeNull();
    });

    it('refuse anything else, naming the field and not the value', () => {
      for (const bad of ['2025-01-02', '2025-01-02T03:04:05Z', '2025-13-02T03:04:05', 'soon', 42, true]) {
        expect(() => parseZatoTime(bad, 'password_expiry')).toThrow('password_expiry must be a UTC datetime such as 2025-01-02T03:04:05');
      }
    });
  });

  describe('user ids', () => {
    const id = '3f0c2a9e-1b2c-4d5e-8f90-a1b2c3d4e5f6';

    it('are zusr and the UUID without dashes, mapped both ways', () => {
      expect(toZatoUserId(id)).toBe('zusr3f0c2a9e1b2c4d5e8f90a1b2c3d4e5f6');
      expect(fromZatoUserId(toZatoUserId(id))).toBe(id);
      expect(fromZatoUserId('ZUSR3F0C2A9E1B2C4D5E8F90A1B2C3D4E5F6')).toBe(id);
      expect(fromZatoUserId(id.toUpperCase())).toBe(id);
    });

    it('name no user when malformed', () => {
      for (const bad of ['zusr123', `zusr${'g'.repeat(32)}`, 'usr3f0c2a9e1b2c4d5e8f90a1b2c3d4e5f6', 7, null]) {
        expect(() => fromZatoUserId(bad)).toThrow(expect.objectContaining({ code: 'user_not_found' }));
      }
    });
  });

  it("map approval statuses both ways (Zato's before_decision is pending)", () => {
    expect(toZatoApproval('pending')).toBe('before_decision');
    expect(fromZatoApproval('before_decision')).toBe('pending');
    expect(fromZatoApproval('approved')).toBe('approved');
    expect(() => fromZatoApproval('pending')).toThrow(expect.objectContaining({ code: 'validation_failed' }));
  });

  it("give every Tessera error code a Zato code", () => {
    expect(Object.keys(ZATO_SUB_STATUS).sort()).toEqual(Object.keys(ERROR_STATUS).sort());
    for (const code of Object.values(ZATO_SUB_STATUS)) expect(code).toMatch(/^E0\d{5}$/);
  });
});
