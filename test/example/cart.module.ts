import { Body, Controller, Delete, Get, HttpCode, Injectable, Module, Post } from '@nestjs/common';
import { IsInt, IsString, Max, Min } from 'class-validator';
import { Authenticated, CurrentSession, SessionAttrService } from '../../src';

/**
 * An application module outside Tessera's own: a shopping cart kept in a session attribute. It only
 * injects SessionAttrService and uses the guard/decorator pair; the cart ends with the session.
 */
interface CartLine {
  sku: string;
  quantity: number;
}

class AddLineDto {
  @IsString() sku: string;
  @IsInt() @Min(1) @Max(99) quantity: number;
}

@Injectable()
export class CartService {
  constructor(private readonly attrs: SessionAttrService) {}

  async lines(sessionId: string): Promise<CartLine[]> {
    const cart = await this.attrs.of(sessionId).get('cart');
    return (cart?.value as CartLine[] | undefined) ?? [];
  }

  async add(sessionId: string, line: CartLine): Promise<CartLine[]> {
    const lines = [...(await this.lines(sessionId)), line];
    // Carts are abandoned after an hour of no change, whatever the session does.
    await this.attrs.of(sessionId).set('cart', lines as never, { expiration: 3600 });
    return lines;
  }

  async clear(sessionId: string): Promise<void> {
    if (await this.attrs.exists(sessionId, 'cart')) await this.attrs.delete(sessionId, 'cart');
  }
}

@Controller('cart')
@Authenticated()
export class CartController {
  constructor(private readonly cart: CartService) {}

  @Get()
  async get(@CurrentSession() { session }: CurrentSession) {
    return { lines: await this.cart.lines(session.id) };
  }

  @Post()
  @HttpCode(200)
  async add(@CurrentSession() { session }: CurrentSession, @Body() line: AddLineDto) {
    return { lines: await this.cart.add(session.id, { sku: line.sku, quantity: line.quantity }) };
  }

  @Delete()
  @HttpCode(204)
  async clear(@CurrentSession() { session }: CurrentSession) {
    await this.cart.clear(session.id);
  }
}

@Module({ controllers: [CartController], providers: [CartService] })
export class CartModule {}
