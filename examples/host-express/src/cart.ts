import {
  Body, CallHandler, Controller, Delete, ExecutionContext, Get, HttpCode, Injectable, Logger, Module, NestInterceptor,
  NotFoundException, Post, UseInterceptors, UsePipes, ValidationPipe,
} from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsInt, Max, Min } from 'class-validator';
import type { IncomingHttpHeaders } from 'node:http';
import { Authenticated, SessionAttrs, sessionAttrsOf } from 'tessera';
import { Repository } from 'typeorm';
import { Product, ProductsModule } from './products';

type CartLine = { productId: number; name: string; priceCents: number; quantity: number };
type Coupon = { code: string; percentOff: number };

const COUPON = /^SAVE(\d{1,2})-[A-Za-z0-9]{4,64}$/;

/**
 * A coupon in `X-Coupon` (`SAVE15-...`) applies to this request only: the interceptor keeps it as a
 * transient value, which the handler reads and which is never stored with the cart nor logged.
 */
@Injectable()
export class CouponInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler) {
    const code = context.switchToHttp().getRequest<{ headers: IncomingHttpHeaders }>().headers['x-coupon'];
    const match = typeof code === 'string' ? COUPON.exec(code) : null;
    if (match) sessionAttrsOf(context).setTransient('coupon', { code: match[0], percentOff: Number(match[1]) } satisfies Coupon);
    return next.handle();
  }
}

export class AddLineDto {
  @IsInt() @Min(1) productId: number;
  @IsInt() @Min(1) @Max(99) quantity: number;
}

async function linesOf(attrs: SessionAttrs): Promise<CartLine[]> {
  return ((await attrs.get('cart'))?.value as CartLine[] | undefined) ?? [];
}

function priced(lines: CartLine[], attrs: SessionAttrs) {
  const coupon = attrs.getTransient<Coupon>('coupon');
  const subtotalCents = lines.reduce((sum, line) => sum + line.priceCents * line.quantity, 0);
  const discountCents = coupon ? Math.floor((subtotalCents * coupon.percentOff) / 100) : 0;
  return { lines, subtotalCents, discountCents, totalCents: subtotalCents - discountCents, coupon: coupon?.code ?? null };
}

/** A shopping cart kept in a session attribute: it ends with the session (or an hour after its last change). */
@Controller('cart')
@Authenticated()
@UseInterceptors(CouponInterceptor)
@UsePipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }))
export class CartController {
  private readonly logger = new Logger('Cart');

  constructor(@InjectRepository(Product) private readonly products: Repository<Product>) {}

  @Get()
  async show(@SessionAttrs() attrs: SessionAttrs) {
    return priced(await linesOf(attrs), attrs);
  }

  @Post('lines')
  @HttpCode(200)
  async add(@SessionAttrs() attrs: SessionAttrs, @Body() body: AddLineDto) {
    const product = await this.products.findOneBy({ id: body.productId });
    if (!product) throw new NotFoundException('no such product');
    const line: CartLine = { productId: product.id, name: product.name, priceCents: product.priceCents, quantity: body.quantity };
    const lines = [...(await linesOf(attrs)), line];
    await attrs.set('cart', lines, { expiration: 3600 });
    this.logger.log(`cart now has ${lines.length} line(s)`);
    return priced(lines, attrs);
  }

  @Delete()
  @HttpCode(204)
  async clear(@SessionAttrs() attrs: SessionAttrs) {
    if (await attrs.exists('cart')) await attrs.delete('cart');
  }
}

@Module({ imports: [ProductsModule], controllers: [CartController], providers: [CouponInterceptor] })
export class CartModule {}
