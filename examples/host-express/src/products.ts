import { Body, Controller, Get, Module, NotFoundException, Param, ParseIntPipe, Post, UsePipes, ValidationPipe } from '@nestjs/common';
import { InjectRepository, TypeOrmModule } from '@nestjs/typeorm';
import { IsInt, IsString, Length, Max, Min } from 'class-validator';
import { Authenticated } from 'tessera';
import { Column, Entity, PrimaryGeneratedColumn, Repository } from 'typeorm';

/**
 * The host's own table, on the host's own TypeORM connection. The `example_` prefix keeps it clear
 * of Tessera's `sso_*` tables, which Tessera reaches through its own pool.
 */
@Entity('example_product')
export class Product {
  @PrimaryGeneratedColumn() id: number;
  @Column() name: string;
  @Column({ name: 'price_cents', type: 'int' }) priceCents: number;
}

export class NewProductDto {
  @IsString() @Length(1, 100) name: string;
  @IsInt() @Min(0) @Max(1_000_000) priceCents: number;
}

@Controller('products')
@Authenticated()
// On the host's own controllers, not global: a global pipe would also run on Tessera's routes (docs/embedding.md).
@UsePipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }))
export class ProductsController {
  constructor(@InjectRepository(Product) private readonly products: Repository<Product>) {}

  @Post()
  create(@Body() body: NewProductDto): Promise<Product> {
    return this.products.save(this.products.create({ name: body.name, priceCents: body.priceCents }));
  }

  @Get(':id')
  async get(@Param('id', ParseIntPipe) id: number): Promise<Product> {
    const product = await this.products.findOneBy({ id });
    if (!product) throw new NotFoundException('no such product');
    return product;
  }
}

@Module({ imports: [TypeOrmModule.forFeature([Product])], controllers: [ProductsController], exports: [TypeOrmModule] })
export class ProductsModule {}
